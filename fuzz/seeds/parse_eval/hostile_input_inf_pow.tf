output "x" {
  value = pow(10, 400)
}
