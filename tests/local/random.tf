variable "rotation" {
  type    = string
  default = "one"
}

resource "random_password" "db" {
  length           = 24
  min_numeric      = 2
  override_special = "_%@"
  keepers = {
    rotation = var.rotation
  }
}

resource "random_string" "suffix" {
  length  = 8
  special = false
  upper   = false
}

resource "random_id" "bucket" {
  byte_length = 8
  prefix      = "b-"
}

resource "random_pet" "name" {
  length = 3
}

resource "random_uuid" "run" {}

resource "random_integer" "port" {
  min  = 1024
  max  = 65535
  seed = "fixed"
}

resource "random_shuffle" "azs" {
  input        = ["a", "b", "c"]
  result_count = 2
}

output "password" {
  value     = random_password.db.result
  sensitive = true
}

output "name" {
  value = "${random_pet.name.id}-${random_string.suffix.result}-${random_id.bucket.hex}"
}

output "port" {
  value = random_integer.port.result
}
