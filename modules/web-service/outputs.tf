output "lb_dns_name" {
  description = "DNS name of the load balancer."
  value       = aws_lb.this.dns_name
}

output "lb_zone_id" {
  description = "Route 53 hosted zone of the load balancer, for alias records."
  value       = aws_lb.this.zone_id
}

output "instance_ids" {
  description = "IDs of the app servers."
  value       = aws_instance.app[*].id
}

output "private_ips" {
  description = "Private addresses of the app servers."
  value       = aws_instance.app[*].private_ip
}

output "app_security_group_id" {
  description = "Security group of the app servers; grant it access to backing services."
  value       = aws_security_group.app.id
}

output "target_group_arn" {
  description = "ARN of the target group the app servers are registered in."
  value       = aws_lb_target_group.app.arn
}
