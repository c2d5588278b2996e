locals {
  x = templatefile("${path.module}/fifo", {})
}
output "x" {
  value = local.x
}
