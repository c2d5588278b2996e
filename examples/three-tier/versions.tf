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

  # `strata plan`, `cost` and `apply` exit 3 when a change breaks the budget.
  budget {
    monthly_limit = 400
  }
}
