output "x" {
  value = 1e308 * 10
}
