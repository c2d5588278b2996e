# count, for_each over a map and for_each over a set, side by side.

provider "aws" {
  region = "us-east-1"
}

variable "subnets" {
  type = map(object({
    cidr   = string
    az     = string
    public = bool
  }))
  description = "Subnets keyed by name."
  default = {
    web-a  = { cidr = "10.10.1.0/24", az = "us-east-1a", public = true }
    web-b  = { cidr = "10.10.2.0/24", az = "us-east-1b", public = true }
    data-a = { cidr = "10.10.11.0/24", az = "us-east-1a", public = false }
    data-b = { cidr = "10.10.12.0/24", az = "us-east-1b", public = false }
  }
}

variable "services" {
  type        = list(string)
  description = "One security group is created per service name."
  default     = ["api", "worker", "metrics"]
}

variable "worker_count" {
  type        = number
  description = "Number of worker instances."
  default     = 3
}

locals {
  public_subnet_names = sort([for name, s in var.subnets : name if s.public])
}

resource "aws_vpc" "main" {
  cidr_block = "10.10.0.0/16"

  tags = { Name = "count-and-for-each" }
}

# for_each over a map: each.key is the subnet name, each.value its object.
resource "aws_subnet" "this" {
  for_each = var.subnets

  vpc_id                  = aws_vpc.main.id
  cidr_block              = each.value.cidr
  availability_zone       = each.value.az
  map_public_ip_on_launch = each.value.public

  tags = {
    Name = each.key
    Tier = each.value.public ? "public" : "private"
  }
}

# for_each over a set of strings: each.key and each.value are both the name.
resource "aws_security_group" "service" {
  for_each = toset(var.services)

  name        = "svc-${each.key}"
  description = "Traffic for the ${each.value} service"
  vpc_id      = aws_vpc.main.id

  tags = { Service = each.value }
}

# count: instances spread round-robin over the public subnets.
resource "aws_instance" "worker" {
  count = var.worker_count

  ami                    = "ami-0c02fb55956c7d316"
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.this[element(local.public_subnet_names, count.index)].id
  vpc_security_group_ids = [aws_security_group.service["worker"].id]

  tags = { Name = "worker-${count.index + 1}" }
}

# A second count that follows the first one.
resource "aws_ebs_volume" "scratch" {
  count = var.worker_count

  availability_zone = aws_subnet.this[element(local.public_subnet_names, count.index)].availability_zone
  size              = 50
  type              = "gp3"

  tags = { Name = "worker-${count.index + 1}-scratch" }
}

resource "aws_volume_attachment" "scratch" {
  count = var.worker_count

  device_name = "/dev/sdf"
  volume_id   = aws_ebs_volume.scratch[count.index].id
  instance_id = aws_instance.worker[count.index].id
}

resource "aws_db_subnet_group" "data" {
  name       = "count-and-for-each-data"
  subnet_ids = [for name, s in aws_subnet.this : s.id if !var.subnets[name].public]
}

output "worker_ids" {
  description = "Splat over a counted resource."
  value       = aws_instance.worker[*].id
}

output "worker_private_ips" {
  value = aws_instance.worker[*].private_ip
}

output "subnet_ids" {
  description = "Map from subnet name to ID."
  value       = { for name, s in aws_subnet.this : name => s.id }
}

output "security_group_ids" {
  description = "Splat over the values of a for_each resource."
  value       = values(aws_security_group.service)[*].id
}

output "first_worker_id" {
  value = aws_instance.worker[0].id
}
