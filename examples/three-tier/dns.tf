resource "aws_route53_zone" "public" {
  name    = var.domain_name
  comment = "Public zone of ${local.name_prefix}"
}

resource "aws_route53_zone" "internal" {
  name    = local.internal_domain
  comment = "Service discovery inside the ${local.name_prefix} VPC"

  vpc {
    vpc_id = module.network.vpc_id
  }
}

resource "aws_route53_record" "apex" {
  zone_id = aws_route53_zone.public.zone_id
  name    = var.domain_name
  type    = "A"

  alias {
    name                   = module.web.lb_dns_name
    zone_id                = module.web.lb_zone_id
    evaluate_target_health = true
  }
}

resource "aws_route53_record" "www" {
  zone_id = aws_route53_zone.public.zone_id
  name    = "www.${var.domain_name}"
  type    = "CNAME"
  ttl     = 300
  records = [var.domain_name]
}

resource "aws_route53_record" "db" {
  zone_id = aws_route53_zone.internal.zone_id
  name    = "db.${local.internal_domain}"
  type    = "CNAME"
  ttl     = 60
  records = [module.db.address]
}

resource "aws_route53_record" "db_read" {
  zone_id = aws_route53_zone.internal.zone_id
  name    = "db-ro.${local.internal_domain}"
  type    = "CNAME"
  ttl     = 60
  records = [coalesce(module.db.replica_address, module.db.address)]
}
