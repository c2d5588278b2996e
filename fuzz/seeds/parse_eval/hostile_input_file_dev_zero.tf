locals {
  x = filebase64("/dev/zero")
}
output "x" {
  value = local.x
}
