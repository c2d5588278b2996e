terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

strata {
  required_version = ">= 0.1.0"

  backend "local" {
    path = ".strata/community-hub.json"
  }

  # `strata plan` and `strata cost` exit 3 when a change breaks one of these.
  budget {
    monthly_limit        = 400
    max_increase_percent = 25
  }
}
