variable "text" {
  type    = string
  default = "first"
}

variable "secret" {
  type      = string
  default   = "canary-7f3a9c-secret-content"
  sensitive = true
}

resource "null_resource" "hook" {
  triggers = {
    text = var.text
  }
}

resource "terraform_data" "version" {
  input            = var.text
  triggers_replace = [null_resource.hook.id]
}

resource "terraform_data" "label" {
  input = "label-${var.text}"
}

resource "time_static" "born" {}

resource "time_sleep" "settle" {
  create_duration  = "1ms"
  destroy_duration = "1ms"
}

resource "local_file" "greeting" {
  filename        = "out/greeting.txt"
  content         = "hello ${var.text}"
  file_permission = "0640"
}

resource "local_file" "secret" {
  filename          = "out/secret.txt"
  sensitive_content = var.secret
}

data "local_file" "input" {
  filename = "input.txt"
}

output "input" {
  value = data.local_file.input.content
}

output "label" {
  value = terraform_data.label.output
}

output "year" {
  value = time_static.born.year
}

data "template_file" "motd" {
  template = "Welcome to $${name}%%{ if name == \"first\" } (the first)%%{ endif }"
  vars = {
    name = var.text
  }
}

output "motd" {
  value = data.template_file.motd.rendered
}
