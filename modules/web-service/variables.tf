variable "name" {
  type        = string
  description = "Name prefix; load balancer and target group names are derived from it (AWS allows 32 characters)."

  validation {
    condition     = length(var.name) <= 28
    error_message = "The name must be at most 28 characters so that \"<name>-alb\" fits the 32-character limit."
  }
}

variable "vpc_id" {
  type        = string
  description = "VPC for the security groups and the target group."
}

variable "public_subnet_ids" {
  type        = list(string)
  description = "Subnets for the load balancer (two or more availability zones)."

  validation {
    condition     = length(var.public_subnet_ids) >= 2
    error_message = "An application load balancer needs subnets in at least two availability zones."
  }
}

variable "subnet_ids" {
  type        = list(string)
  description = "Subnets for the app servers; instances are placed round-robin."
}

variable "instance_count" {
  type        = number
  description = "Number of app servers behind the load balancer."
  default     = 2

  validation {
    condition     = var.instance_count >= 1 && var.instance_count <= 20 && floor(var.instance_count) == var.instance_count
    error_message = "The instance_count must be a whole number between 1 and 20."
  }
}

variable "instance_type" {
  type        = string
  description = "EC2 instance type of the app servers."
  default     = "t3.small"
}

variable "ami_id" {
  type        = string
  description = "AMI of the app servers."
}

variable "key_name" {
  type        = string
  description = "EC2 key pair for SSH access, or null for none."
  default     = null
}

variable "app_port" {
  type        = number
  description = "Port the application listens on."
  default     = 8080
}

variable "health_check_path" {
  type        = string
  description = "HTTP path the target group polls."
  default     = "/healthz"
}

variable "allowed_cidr_blocks" {
  type        = list(string)
  description = "Client networks allowed to reach the load balancer on port 80."
  default     = ["0.0.0.0/0"]
}

variable "app_environment" {
  type        = map(string)
  description = "Environment variables written to the app's env file by user_data."
  default     = {}
}

variable "packages" {
  type        = list(string)
  description = "Extra OS packages installed at boot."
  default     = []
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
