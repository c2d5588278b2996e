# community-hub: a three-tier web platform.
#
#   Route 53 (frontend) -> ALB (gateway) -> app servers (application)
#   -> PostgreSQL primary + read replica (data), all inside one VPC
#   (infrastructure).

locals {
  name_prefix     = "community-hub-${var.environment}"
  internal_domain = "${var.environment}.community-hub.internal"
  azs             = ["${var.region}a", "${var.region}b"]

  common_tags = merge(var.extra_tags, {
    Project     = "community-hub"
    Environment = var.environment
    ManagedBy   = "strata"
  })
}

module "network" {
  source = "../../modules/network"

  name               = local.name_prefix
  cidr               = var.vpc_cidr
  azs                = local.azs
  enable_nat_gateway = true

  tags = { Component = "network" }
}

module "web" {
  source = "../../modules/web-service"

  name              = local.name_prefix
  vpc_id            = module.network.vpc_id
  public_subnet_ids = module.network.public_subnet_ids
  subnet_ids        = module.network.private_subnet_ids
  ami_id            = var.ami_id
  instance_type     = var.instance_type
  instance_count    = var.app_count
  health_check_path = "/api/health"

  # The app finds its database through the private zone below, so the app
  # servers do not wait for the database to exist.
  app_environment = {
    APP_ENV      = var.environment
    DB_HOST      = "db.${local.internal_domain}"
    DB_READ_HOST = "db-ro.${local.internal_domain}"
    DB_NAME      = "community"
    PUBLIC_URL   = "https://${var.domain_name}"
  }
  packages = ["postgresql16", "amazon-cloudwatch-agent"]

  tags = { Component = "web" }
}

module "db" {
  source = "../../modules/postgres"

  name                       = local.name_prefix
  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.private_subnet_ids
  allowed_security_group_ids = [module.web.app_security_group_id]

  instance_class    = var.db_instance_class
  allocated_storage = var.environment == "prod" ? 100 : 20
  multi_az          = var.environment == "prod"
  database_name     = "community"
  username          = "community_admin"
  password          = var.db_password
  create_replica    = true

  tags = { Component = "database" }
}
