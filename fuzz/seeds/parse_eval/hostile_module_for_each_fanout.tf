module "cell" {
  source   = "./cell"
  for_each = toset([for i in range(3) : "c${i}"])
}
