output "x" {
  value = tonumber("1e400")
}
