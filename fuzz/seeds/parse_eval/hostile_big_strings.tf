locals {
  s0 = "0123456789abcdef"
  s1 = "${local.s0}${local.s0}"
  s2 = "${local.s1}${local.s1}"
  s3 = "${local.s2}${local.s2}"
  s4 = "${local.s3}${local.s3}"
  c0 = "${local.s4}0"
  c1 = "${local.s4}1"
  c2 = "${local.s4}2"
  c3 = "${local.s4}3"
}
