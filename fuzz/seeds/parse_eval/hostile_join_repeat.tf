locals {
  r0 = join("", [for k in range(10) : join("", formatlist("%016d", range(10)))])
  r1 = join("", [for k in range(10) : join("", formatlist("%016d", range(10)))])
  r2 = join("", [for k in range(10) : join("", formatlist("%016d", range(10)))])
}
