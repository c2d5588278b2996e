locals {
  x = file("${path.module}/fifo")
}
output "x" {
  value = local.x
}
