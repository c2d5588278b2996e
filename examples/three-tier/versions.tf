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
}
