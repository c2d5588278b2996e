output "url" {
  description = "Public URL of the platform."
  value       = "http://${var.domain_name}"
}

output "lb_dns_name" {
  description = "DNS name of the load balancer (usable before the zone is delegated)."
  value       = module.web.lb_dns_name
}

output "name_servers" {
  description = "Name servers to delegate the domain to."
  value       = aws_route53_zone.public.name_servers
}

output "app_instance_ids" {
  description = "IDs of the app servers."
  value       = module.web.instance_ids
}

output "db_endpoint" {
  description = "Endpoint of the PostgreSQL primary (host:port)."
  value       = module.db.endpoint
}

output "db_replica_endpoint" {
  description = "Endpoint of the PostgreSQL read replica (host:port)."
  value       = module.db.replica_endpoint
}
