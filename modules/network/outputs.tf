output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "CIDR block of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "IDs of the public subnets, in the order of var.azs."
  value       = [for az in var.azs : aws_subnet.public[az].id]
}

output "private_subnet_ids" {
  description = "IDs of the private subnets, in the order of var.azs."
  value       = [for az in var.azs : aws_subnet.private[az].id]
}

output "nat_public_ip" {
  description = "Public address of the NAT gateway, or null when there is none."
  value       = try(aws_eip.nat[0].public_ip, null)
}
