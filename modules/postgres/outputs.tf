output "endpoint" {
  description = "Connection endpoint of the primary (host:port)."
  value       = aws_db_instance.primary.endpoint
}

output "address" {
  description = "Host name of the primary."
  value       = aws_db_instance.primary.address
}

output "port" {
  description = "Port PostgreSQL listens on."
  value       = local.port
}

output "replica_endpoint" {
  description = "Connection endpoint of the read replica, or null when there is none."
  value       = try(aws_db_instance.replica[0].endpoint, null)
}

output "replica_address" {
  description = "Host name of the read replica, or null when there is none."
  value       = try(aws_db_instance.replica[0].address, null)
}

output "security_group_id" {
  description = "Security group attached to the primary and the replica."
  value       = aws_security_group.db.id
}
