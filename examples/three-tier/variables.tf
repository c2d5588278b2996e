variable "region" {
  type        = string
  description = "AWS region to deploy into."
  default     = "us-east-1"
}

variable "environment" {
  type        = string
  description = "Deployment stage: dev, staging or prod."

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "The environment must be one of dev, staging or prod."
  }
}

variable "vpc_cidr" {
  type        = string
  description = "CIDR block of the platform VPC."
  default     = "10.40.0.0/16"
}

variable "domain_name" {
  type        = string
  description = "Public DNS name of the platform; a hosted zone is created for it."
  default     = "community-hub.example.com"
}

variable "ami_id" {
  type        = string
  description = "AMI of the app servers (Amazon Linux 2023 with the community-hub service baked in)."

  validation {
    condition     = can(regex("^ami-[0-9a-f]{8,17}$", var.ami_id))
    error_message = "The ami_id must look like \"ami-0123456789abcdef0\"."
  }
}

variable "instance_type" {
  type        = string
  description = "EC2 instance type of the app servers."
  default     = "t3.small"

  validation {
    condition     = contains(["t3.micro", "t3.small", "t3.medium", "m6i.large"], var.instance_type)
    error_message = "The instance_type must be one of t3.micro, t3.small, t3.medium or m6i.large."
  }
}

variable "app_count" {
  type        = number
  description = "Number of app servers behind the load balancer."
  default     = 2

  validation {
    condition     = var.app_count >= 1 && var.app_count <= 10
    error_message = "The app_count must be between 1 and 10."
  }
}

variable "db_instance_class" {
  type        = string
  description = "Instance class of the PostgreSQL primary and replica."
  default     = "db.t4g.small"
}

variable "db_password" {
  type        = string
  description = "Master password of the community-hub database."
  sensitive   = true

  validation {
    condition     = length(var.db_password) >= 12
    error_message = "The db_password must be at least 12 characters long."
  }
}

variable "extra_tags" {
  type        = map(string)
  description = "Tags added to every resource on top of Project, Environment and ManagedBy."
  default     = {}
}
