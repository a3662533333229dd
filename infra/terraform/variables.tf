# Temporal Cloud

variable "temporal_cloud_account_id" {
  description = "Temporal Cloud account id (the suffix of namespace ids, e.g. a1b2c). The provider refuses to change any other account."
  type        = string
}

variable "temporal_namespace_name" {
  description = "Name of the Temporal Cloud namespace; its id (TEMPORAL_NAMESPACE) is <name>.<account id>."
  type        = string
  default     = "mlops"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,62}[a-z0-9]$", var.temporal_namespace_name))
    error_message = "temporal_namespace_name: 2-64 characters, lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "temporal_regions" {
  description = "Temporal Cloud regions of the namespace, prefixed with the cloud provider (e.g. aws-us-east-1); two regions make it highly available."
  type        = list(string)
  default     = ["aws-us-east-1"]

  validation {
    condition     = length(var.temporal_regions) >= 1 && length(var.temporal_regions) <= 2
    error_message = "temporal_regions: one or two regions."
  }
}

variable "temporal_retention_days" {
  description = "Days Temporal Cloud keeps the history of a closed workflow (pipeline runs, rollouts, monitors)."
  type        = number
  default     = 30

  validation {
    condition     = var.temporal_retention_days >= 1 && var.temporal_retention_days <= 90
    error_message = "temporal_retention_days: from 1 to 90."
  }
}

variable "temporal_auth" {
  description = "How the workers and the CLI authenticate to the namespace: api_key (TEMPORAL_API_KEY) or mtls (client certificates issued by temporal_accepted_client_ca)."
  type        = string
  default     = "api_key"

  validation {
    condition     = contains(["api_key", "mtls"], var.temporal_auth)
    error_message = "temporal_auth: api_key or mtls."
  }
}

variable "temporal_accepted_client_ca" {
  description = "Base64-encoded PEM bundle of the CA certificates that sign the clients' certificates; required when temporal_auth is mtls."
  type        = string
  default     = null
}

variable "temporal_delete_protection" {
  description = "Protect the namespace against deletion (set to false, apply, then destroy)."
  type        = bool
  default     = true
}

# Object store

variable "aws_region" {
  description = "AWS region of the bucket and the role (AWS_REGION for the workers)."
  type        = string
  default     = "us-east-1"
}

variable "bucket_name" {
  description = "Name of the S3 bucket that holds the object store (datasets, models, experiments, captured traffic, reports)."
  type        = string
}

variable "store_prefix" {
  description = "Key prefix of the store inside the bucket, without slashes (MLOPS_STORE=s3://<bucket>/<prefix>); empty for the whole bucket."
  type        = string
  default     = "mlops"

  validation {
    condition     = can(regex("^([A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*)?$", var.store_prefix))
    error_message = "store_prefix: path segments separated by single slashes, with no leading or trailing slash."
  }
}

variable "kms_key_arn" {
  description = "ARN of a KMS key for server-side encryption (SSE-KMS); null for S3-managed keys (SSE-S3)."
  type        = string
  default     = null
}

variable "capture_retention_days" {
  description = "Days captured requests and predictions are kept before they expire; drift monitors read only recent windows."
  type        = number
  default     = 30

  validation {
    condition     = var.capture_retention_days >= 1
    error_message = "capture_retention_days: at least 1."
  }
}

variable "noncurrent_version_retention_days" {
  description = "Days an overwritten or deleted object version is kept (versioning keeps aliases and registry files recoverable)."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_retention_days >= 1
    error_message = "noncurrent_version_retention_days: at least 1."
  }
}

# Worker identity

variable "worker_role_name" {
  description = "Name of the IAM role the workers assume to reach the bucket."
  type        = string
  default     = "temporal-mlops-worker"
}

variable "eks_oidc_provider_arn" {
  description = "ARN of the EKS cluster's IAM OIDC provider, for IAM roles for service accounts (IRSA); null when the role is assumed otherwise."
  type        = string
  default     = null
}

variable "k8s_namespace" {
  description = "Kubernetes namespace of the workers (infra/k8s/overlays/prod: mlops), for the IRSA trust condition."
  type        = string
  default     = "mlops"
}

variable "k8s_service_account" {
  description = "Kubernetes service account of the workers (infra/k8s: mlops-worker), for the IRSA trust condition."
  type        = string
  default     = "mlops-worker"
}

variable "trusted_principal_arns" {
  description = "Further IAM principals (roles of EC2 instances, CI, another account) allowed to assume the worker role."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags added to every AWS resource."
  type        = map(string)
  default     = { project = "temporal-mlops" }
}
