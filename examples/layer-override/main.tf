# Layers that differ from the resource type's default.
#
# - aws_eip.bastion is an infrastructure type, but it is attached to an
#   instance, so the graph lifts it to the application layer.
# - The PostgreSQL host is a plain EC2 instance and its EBS volume holds the
#   database files: both are placed in the data layer explicitly, so they
#   start before the application and stop after it.

provider "aws" {
  region = "us-west-2"
}

variable "ami_id" {
  type        = string
  description = "AMI for the bastion, database and app hosts."
  default     = "ami-0b20a6f09484773af"
}

variable "admin_cidr" {
  type        = string
  description = "Network allowed to SSH to the bastion."
  default     = "203.0.113.0/24"
}

resource "aws_vpc" "main" {
  cidr_block = "10.50.0.0/16"

  tags = { Name = "layer-override" }
}

resource "aws_subnet" "public" {
  vpc_id                  = aws_vpc.main.id
  cidr_block              = "10.50.1.0/24"
  availability_zone       = "us-west-2a"
  map_public_ip_on_launch = true
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
  subnet_id      = aws_subnet.public.id
  route_table_id = aws_route_table.public.id
}

resource "aws_subnet" "private" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.50.10.0/24"
  availability_zone = "us-west-2a"
}

resource "aws_security_group" "bastion" {
  name        = "bastion"
  description = "SSH from the admin network"
  vpc_id      = aws_vpc.main.id

  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = [var.admin_cidr]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "postgres" {
  name        = "postgres-host"
  description = "PostgreSQL from inside the VPC"
  vpc_id      = aws_vpc.main.id

  ingress {
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = [aws_vpc.main.cidr_block]
  }
}

resource "aws_instance" "bastion" {
  ami                    = var.ami_id
  instance_type          = "t3.nano"
  subnet_id              = aws_subnet.public.id
  vpc_security_group_ids = [aws_security_group.bastion.id]

  tags = { Name = "bastion" }
}

# Default layer 1 (infrastructure); `instance` makes it depend on a layer-3
# resource, so it is lifted to layer 3 (application).
resource "aws_eip" "bastion" {
  domain   = "vpc"
  instance = aws_instance.bastion.id

  tags = { Name = "bastion" }
}

# A self-managed database host: an aws_instance (default layer 3) moved to
# the data layer with the numeric form of `layer`.
resource "aws_instance" "postgres" {
  ami                    = var.ami_id
  instance_type          = "r6i.large"
  subnet_id              = aws_subnet.private.id
  vpc_security_group_ids = [aws_security_group.postgres.id]
  layer                  = 2

  tags = { Name = "postgres", Role = "database" }
}

# The volume with the database files: an aws_ebs_volume (default layer 1)
# placed in the data layer so that it belongs to the database's lifecycle.
resource "aws_ebs_volume" "pgdata" {
  availability_zone = aws_subnet.private.availability_zone
  size              = 200
  type              = "gp3"
  iops              = 6000
  throughput        = 250
  encrypted         = true
  layer             = "data"

  tags = { Name = "pgdata" }

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_volume_attachment" "pgdata" {
  device_name = "/dev/sdf"
  volume_id   = aws_ebs_volume.pgdata.id
  instance_id = aws_instance.postgres.id
  layer       = "data"
}

# An app server (layer 3) that talks to the database host (layer 2).
resource "aws_instance" "app" {
  ami           = var.ami_id
  instance_type = "t3.small"
  subnet_id     = aws_subnet.private.id

  user_data = <<-EOT
    #!/bin/bash
    echo "DATABASE_URL=postgres://app@${aws_instance.postgres.private_ip}:5432/app" >> /etc/environment
  EOT

  depends_on = [aws_volume_attachment.pgdata]

  tags = { Name = "app" }
}

output "bastion_public_ip" {
  value = aws_eip.bastion.public_ip
}

output "postgres_private_ip" {
  value = aws_instance.postgres.private_ip
}
