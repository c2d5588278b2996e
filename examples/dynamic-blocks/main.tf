# Blocks generated from data with `dynamic`.

provider "aws" {
  region = "eu-central-1"
}

variable "ingress_rules" {
  type = list(object({
    description = string
    port        = number
    protocol    = string
    cidr_blocks = list(string)
  }))
  description = "Inbound rules of the web security group."
  default = [
    { description = "HTTP", port = 80, protocol = "tcp", cidr_blocks = ["0.0.0.0/0"] },
    { description = "HTTPS", port = 443, protocol = "tcp", cidr_blocks = ["0.0.0.0/0"] },
    { description = "Admin console from the office", port = 8443, protocol = "tcp", cidr_blocks = ["203.0.113.0/24", "198.51.100.0/24"] },
  ]
}

variable "restrict_egress" {
  type        = bool
  description = "Allow outbound traffic to the VPC only instead of everywhere."
  default     = false
}

variable "db_parameters" {
  type        = map(string)
  description = "PostgreSQL parameters to override."
  default = {
    log_connections            = "1"
    log_min_duration_statement = "250"
    work_mem                   = "16384"
  }
}

variable "release_weights" {
  type        = map(number)
  description = "Share of traffic per release (blue/green); weights are relative."
  default = {
    blue  = 90
    green = 10
  }
}

variable "health_check" {
  type = object({
    path     = string
    interval = number
  })
  description = "Health check of the release target groups; null turns it off."
  default     = { path = "/healthz", interval = 10 }
}

locals {
  egress_cidr_blocks = var.restrict_egress ? [aws_vpc.main.cidr_block] : ["0.0.0.0/0"]
}

resource "aws_vpc" "main" {
  cidr_block = "10.30.0.0/16"
}

resource "aws_internet_gateway" "main" {
  vpc_id = aws_vpc.main.id
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.main.id
  }
}

resource "aws_route_table_association" "public" {
  count = 2

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

resource "aws_subnet" "public" {
  count = 2

  vpc_id            = aws_vpc.main.id
  cidr_block        = cidrsubnet(aws_vpc.main.cidr_block, 8, count.index)
  availability_zone = element(["eu-central-1a", "eu-central-1b"], count.index)
}

resource "aws_security_group" "web" {
  name        = "dynamic-web-lb"
  description = "Load balancer of the web tier"
  vpc_id      = aws_vpc.main.id

  # `iterator` renames the iteration variable from `ingress` to `rule`.
  dynamic "ingress" {
    for_each = var.ingress_rules
    iterator = rule

    content {
      description = rule.value.description
      from_port   = rule.value.port
      to_port     = rule.value.port
      protocol    = rule.value.protocol
      cidr_blocks = rule.value.cidr_blocks
    }
  }

  dynamic "egress" {
    for_each = local.egress_cidr_blocks

    content {
      description = "All traffic to ${egress.value}"
      from_port   = 0
      to_port     = 0
      protocol    = "-1"
      cidr_blocks = [egress.value]
    }
  }
}

resource "aws_db_parameter_group" "postgres" {
  name   = "dynamic-postgres16"
  family = "postgres16"

  dynamic "parameter" {
    for_each = var.db_parameters

    content {
      name  = parameter.key
      value = parameter.value
    }
  }
}

resource "aws_lb" "web" {
  name               = "dynamic-web"
  load_balancer_type = "application"
  security_groups    = [aws_security_group.web.id]
  subnets            = aws_subnet.public[*].id
}

resource "aws_lb_target_group" "release" {
  for_each = var.release_weights

  name     = "dynamic-${each.key}"
  port     = 8080
  protocol = "HTTP"
  vpc_id   = aws_vpc.main.id

  # An optional block: zero or one health_check depending on the variable.
  dynamic "health_check" {
    for_each = var.health_check == null ? [] : [var.health_check]

    content {
      path     = health_check.value.path
      interval = health_check.value.interval
      matcher  = "200"
    }
  }
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.web.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "forward"

    # A dynamic block nested inside static blocks: one weighted target group
    # per release.
    forward {
      dynamic "target_group" {
        for_each = var.release_weights
        iterator = release

        content {
          arn    = aws_lb_target_group.release[release.key].arn
          weight = release.value
        }
      }

      stickiness {
        enabled  = false
        duration = 60
      }
    }
  }
}

output "ingress_ports" {
  value = [for rule in var.ingress_rules : rule.port]
}

output "target_group_arns" {
  value = { for name, tg in aws_lb_target_group.release : name => tg.arn }
}
