output "x" {
  value = log(-1, 10)
}
