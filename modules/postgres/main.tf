# A PostgreSQL primary on RDS with an optional read replica.

locals {
  port = 5432

  # A replica needs automated backups on its source.
  backup_retention_days = var.create_replica ? max(var.backup_retention_days, 1) : var.backup_retention_days
}

resource "aws_db_subnet_group" "this" {
  name        = "${var.name}-db"
  description = "Private subnets for ${var.name} PostgreSQL"
  subnet_ids  = var.subnet_ids

  tags = var.tags
}

resource "aws_security_group" "db" {
  name        = "${var.name}-db"
  description = "PostgreSQL access for ${var.name}"
  vpc_id      = var.vpc_id

  dynamic "ingress" {
    for_each = var.allowed_security_group_ids

    content {
      description     = "PostgreSQL from an allowed security group"
      from_port       = local.port
      to_port         = local.port
      protocol        = "tcp"
      security_groups = [ingress.value]
    }
  }

  egress {
    description = "Replies and outbound traffic"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }

  tags = merge(var.tags, { Name = "${var.name}-db" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_db_parameter_group" "this" {
  name        = "${var.name}-${var.parameter_group_family}"
  family      = var.parameter_group_family
  description = "PostgreSQL settings for ${var.name}"

  parameter {
    name  = "log_min_duration_statement"
    value = "500"
  }

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  parameter {
    name         = "shared_preload_libraries"
    value        = "pg_stat_statements"
    apply_method = "pending-reboot"
  }

  tags = var.tags
}

resource "aws_db_instance" "primary" {
  identifier     = "${var.name}-primary"
  engine         = "postgres"
  engine_version = var.engine_version
  instance_class = var.instance_class

  allocated_storage     = var.allocated_storage
  max_allocated_storage = var.max_allocated_storage
  storage_type          = "gp3"
  storage_encrypted     = true

  db_name  = var.database_name
  username = var.username
  password = var.password
  port     = local.port

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.db.id]
  parameter_group_name   = aws_db_parameter_group.this.name
  publicly_accessible    = false
  multi_az               = var.multi_az

  backup_retention_period = local.backup_retention_days
  backup_window           = "03:00-04:00"
  maintenance_window      = "sun:04:30-sun:05:30"

  skip_final_snapshot       = false
  final_snapshot_identifier = "${var.name}-primary-final"
  deletion_protection       = false
  copy_tags_to_snapshot     = true

  tags = merge(var.tags, { Name = "${var.name}-primary", Role = "primary" })

  lifecycle {
    # RDS applies minor version upgrades itself.
    ignore_changes = [engine_version]
  }
}

resource "aws_db_instance" "replica" {
  count = var.create_replica ? 1 : 0

  identifier          = "${var.name}-replica"
  replicate_source_db = aws_db_instance.primary.identifier
  instance_class      = coalesce(var.replica_instance_class, var.instance_class)

  storage_type           = "gp3"
  storage_encrypted      = true
  vpc_security_group_ids = [aws_security_group.db.id]
  parameter_group_name   = aws_db_parameter_group.this.name
  publicly_accessible    = false

  # Replicas are rebuilt from the primary; no snapshot is needed on destroy.
  skip_final_snapshot     = true
  backup_retention_period = 0

  tags = merge(var.tags, { Name = "${var.name}-replica", Role = "replica" })
}
