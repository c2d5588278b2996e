variable "app_count" {
  type    = number
  default = 20
  validation {
    condition     = var.app_count >= 1 && var.app_count <= 10
    error_message = "app_count must be between 1 and 10."
  }
}

locals {
  names = [for i in range(var.app_count) : "app-${i}"]
}

resource "aws_instance" "app" {
  count         = var.app_count
  ami           = "ami-12c6146b"
  instance_type = "t3.micro"
  tags          = { Name = local.names[count.index] }
}

output "ids" {
  value = aws_instance.app[*].id
}
