output "temporal_namespace" {
  description = "Namespace id, <name>.<account id>: TEMPORAL_NAMESPACE for the workers and the CLI."
  value       = temporalcloud_namespace.mlops.id
}

output "temporal_grpc_address" {
  description = "gRPC address for API key clients: TEMPORAL_ADDRESS (or the profile's address) with TEMPORAL_API_KEY; empty when the namespace uses mTLS."
  value       = temporalcloud_namespace.mlops.endpoints.grpc_address
}

output "temporal_mtls_grpc_address" {
  description = "gRPC address for mTLS clients: TEMPORAL_ADDRESS with TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH; empty when the namespace uses API keys."
  value       = temporalcloud_namespace.mlops.endpoints.mtls_grpc_address
}

output "temporal_web_address" {
  description = "The namespace in the Temporal Cloud web UI."
  value       = temporalcloud_namespace.mlops.endpoints.web_address
}

output "bucket_name" {
  description = "Name of the object store's bucket."
  value       = aws_s3_bucket.store.bucket
}

output "mlops_store" {
  description = "MLOPS_STORE for the workers and the CLI: s3://<bucket>/<prefix>."
  value       = "s3://${aws_s3_bucket.store.bucket}${var.store_prefix == "" ? "" : "/${var.store_prefix}"}"
}

output "worker_role_arn" {
  description = "ARN of the workers' IAM role: the eks.amazonaws.com/role-arn annotation of the mlops-worker service account (infra/k8s/overlays/prod)."
  value       = aws_iam_role.worker.arn
}
