module "a" {
  source = "./a"
  count  = 3
}
