variable "name" {
  type        = string
  description = "Name prefix for every resource in the network, e.g. \"community-hub-dev\"."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}[a-z0-9]$", var.name))
    error_message = "The name must be 3-40 characters of lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "cidr" {
  type        = string
  description = "IPv4 CIDR block of the VPC, e.g. \"10.20.0.0/16\"."
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrhost(var.cidr, 0))
    error_message = "The cidr must be a valid IPv4 CIDR block such as \"10.0.0.0/16\"."
  }
}

variable "azs" {
  type        = list(string)
  description = "Availability zones to spread the subnets over; one public and one private subnet per zone."

  validation {
    condition     = length(var.azs) >= 2
    error_message = "At least two availability zones are required (RDS subnet groups and load balancers need two)."
  }

  validation {
    condition     = length(distinct(var.azs)) == length(var.azs)
    error_message = "The availability zones must not repeat."
  }
}

variable "subnet_newbits" {
  type        = number
  description = "Bits added to the VPC prefix for each subnet (8 turns a /16 into /24 subnets)."
  default     = 8

  validation {
    condition     = var.subnet_newbits >= 2 && var.subnet_newbits <= 12
    error_message = "The subnet_newbits must be between 2 and 12."
  }
}

variable "enable_nat_gateway" {
  type        = bool
  description = "Create one NAT gateway (with an Elastic IP) so that private subnets reach the internet."
  default     = false
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
