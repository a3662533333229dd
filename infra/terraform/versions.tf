# Cloud resources of temporal-mlops: the Temporal Cloud namespace with the project's search
# attributes, the S3 bucket of the object store (MLOPS_STORE), and the IAM role the workers use.
terraform {
  required_version = ">= 1.6.0"

  required_providers {
    temporalcloud = {
      source  = "temporalio/temporalcloud"
      version = "~> 1.5"
    }
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}

# Credentials come from the environment: TEMPORAL_CLOUD_API_KEY (an API key of a Temporal Cloud
# account admin or a service account allowed to create namespaces) and the usual AWS chain.
provider "temporalcloud" {
  allowed_account_id = var.temporal_cloud_account_id
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = var.tags
  }
}
