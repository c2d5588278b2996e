output "x" {
  value = 1e400
}
