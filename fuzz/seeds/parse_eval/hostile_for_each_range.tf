resource "aws_vpc" "v" {
  for_each   = toset(flatten([for i in range(1000) : [for j in range(3) : "${i}-${j}"]]))
  cidr_block = "10.0.0.0/16"
}
