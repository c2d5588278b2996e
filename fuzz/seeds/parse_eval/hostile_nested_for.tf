locals {
  grid = [for i in range(10) : [for j in range(10) : [for k in range(10) : i * j * k]]]
}
