# The workers' role: read, write, list and delete objects under the store's prefix, nothing else.
# Kubernetes workers assume it through IRSA (infra/k8s/overlays/prod annotates their service
# account with its ARN); other principals may be trusted with trusted_principal_arns.

locals {
  # oidc.eks.<region>.amazonaws.com/id/<id>, from arn:aws:iam::<account>:oidc-provider/<that>
  oidc_issuer = var.eks_oidc_provider_arn == null ? null : element(split("oidc-provider/", var.eks_oidc_provider_arn), 1)
}

data "aws_iam_policy_document" "worker_trust" {
  dynamic "statement" {
    for_each = var.eks_oidc_provider_arn == null ? [] : [var.eks_oidc_provider_arn]

    content {
      sid     = "KubernetesServiceAccount"
      actions = ["sts:AssumeRoleWithWebIdentity"]

      principals {
        type        = "Federated"
        identifiers = [statement.value]
      }

      condition {
        test     = "StringEquals"
        variable = "${local.oidc_issuer}:sub"
        values   = ["system:serviceaccount:${var.k8s_namespace}:${var.k8s_service_account}"]
      }

      condition {
        test     = "StringEquals"
        variable = "${local.oidc_issuer}:aud"
        values   = ["sts.amazonaws.com"]
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.trusted_principal_arns) == 0 ? [] : [var.trusted_principal_arns]

    content {
      sid     = "TrustedPrincipals"
      actions = ["sts:AssumeRole"]

      principals {
        type        = "AWS"
        identifiers = statement.value
      }
    }
  }
}

resource "aws_iam_role" "worker" {
  name               = var.worker_role_name
  description        = "temporal-mlops workers: the object store bucket ${var.bucket_name}"
  assume_role_policy = data.aws_iam_policy_document.worker_trust.json

  lifecycle {
    precondition {
      condition     = var.eks_oidc_provider_arn != null || length(var.trusted_principal_arns) > 0
      error_message = "eks_oidc_provider_arn or trusted_principal_arns: someone must be able to assume the worker role."
    }
  }
}

# The store's calls (activities/storage/s3.ts): GetObject and HeadObject, PutObject (also multipart
# and conditional writes), DeleteObject, ListObjectsV2, and aborting a failed multipart upload.
data "aws_iam_policy_document" "worker_store" {
  statement {
    sid       = "ListStorePrefix"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.store.arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.key_prefix}*"]
    }
  }

  statement {
    sid = "ReadWriteStoreObjects"
    actions = [
      "s3:GetObject",
      "s3:PutObject",
      "s3:PutObjectTagging", # captured batches are written with their tags
      "s3:DeleteObject",
      "s3:AbortMultipartUpload",
    ]
    resources = ["${aws_s3_bucket.store.arn}/${local.key_prefix}*"]
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]

    content {
      sid       = "UseStoreKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role_policy" "worker_store" {
  name   = "object-store"
  role   = aws_iam_role.worker.id
  policy = data.aws_iam_policy_document.worker_store.json
}
