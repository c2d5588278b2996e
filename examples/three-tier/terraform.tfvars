# Development values. The password is a placeholder that only exists so that
# `strata validate` and `strata plan` work out of the box; real environments
# set STRATA_VAR_db_password or pass a variable file that is never committed.
environment   = "dev"
ami_id        = "ami-0a1b2c3d4e5f67890"
app_count     = 2
instance_type = "t3.small"
db_password   = "dev-only-not-a-real-secret"
