variable "name" {
  type        = string
  description = "Name prefix; the primary is called \"<name>-primary\" and the replica \"<name>-replica\"."
}

variable "vpc_id" {
  type        = string
  description = "VPC the database security group belongs to."
}

variable "subnet_ids" {
  type        = list(string)
  description = "Private subnets (in at least two availability zones) for the DB subnet group."

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "A DB subnet group needs subnets in at least two availability zones."
  }
}

variable "allowed_security_group_ids" {
  type        = list(string)
  description = "Security groups whose members may connect on the PostgreSQL port."
  default     = []
}

variable "engine_version" {
  type        = string
  description = "PostgreSQL major or major.minor version."
  default     = "16.3"
}

variable "parameter_group_family" {
  type        = string
  description = "Parameter group family matching engine_version."
  default     = "postgres16"
}

variable "instance_class" {
  type        = string
  description = "Instance class of the primary, e.g. \"db.t4g.micro\"."
  default     = "db.t4g.micro"

  validation {
    condition     = can(regex("^db\\.", var.instance_class))
    error_message = "The instance_class must be an RDS class such as \"db.t4g.micro\"."
  }
}

variable "allocated_storage" {
  type        = number
  description = "Storage of the primary in GiB."
  default     = 20

  validation {
    condition     = var.allocated_storage >= 20 && var.allocated_storage <= 65536
    error_message = "The allocated_storage must be between 20 and 65536 GiB."
  }
}

variable "max_allocated_storage" {
  type        = number
  description = "Upper bound for storage autoscaling in GiB; 0 turns autoscaling off."
  default     = 100
}

variable "multi_az" {
  type        = bool
  description = "Run a synchronous standby of the primary in a second availability zone."
  default     = false
}

variable "database_name" {
  type        = string
  description = "Name of the database created on the primary."
  default     = "app"
}

variable "username" {
  type        = string
  description = "Master user name."
  default     = "app_admin"
}

variable "password" {
  type        = string
  description = "Master user password."
  sensitive   = true
  nullable    = false
}

variable "backup_retention_days" {
  type        = number
  description = "Days of automated backups; forced to at least 1 when a replica is created."
  default     = 7
}

variable "create_replica" {
  type        = bool
  description = "Create one read replica of the primary."
  default     = false
}

variable "replica_instance_class" {
  type        = string
  description = "Instance class of the replica; null means the same as the primary."
  default     = null
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
