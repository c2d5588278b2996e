locals {
  s0 = "0123456789abcdef"
  s1 = "${local.s0}${local.s0}"
  s2 = "${local.s1}${local.s1}"
  s3 = "${local.s2}${local.s2}"
  s4 = "${local.s3}${local.s3}"
  s5 = "${local.s4}${local.s4}"
  s6 = "${local.s5}${local.s5}"
}

resource "aws_instance" "app" {
  count         = 10
  ami           = "ami-12c6146b"
  instance_type = "t3.micro"
  user_data     = local.s6
}
