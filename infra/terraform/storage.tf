# The object store's bucket (MLOPS_STORE=s3://<bucket>/<prefix>): private, encrypted, versioned,
# with captured serving traffic expiring after capture_retention_days.

locals {
  # keys of the store start with this (activities/storage/s3.ts joins the prefix and the key with a slash)
  key_prefix = var.store_prefix == "" ? "" : "${var.store_prefix}/"
}

resource "aws_s3_bucket" "store" {
  bucket = var.bucket_name
}

resource "aws_s3_bucket_ownership_controls" "store" {
  bucket = aws_s3_bucket.store.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "store" {
  bucket = aws_s3_bucket.store.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# model aliases and registry files change by compare-and-swap: versions keep every earlier state
resource "aws_s3_bucket_versioning" "store" {
  bucket = aws_s3_bucket.store.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "store" {
  bucket = aws_s3_bucket.store.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = var.kms_key_arn != null
  }
}

resource "aws_s3_bucket_policy" "store" {
  bucket = aws_s3_bucket.store.id
  policy = data.aws_iam_policy_document.store_tls_only.json

  depends_on = [aws_s3_bucket_public_access_block.store]
}

data "aws_iam_policy_document" "store_tls_only" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.store.arn,
      "${aws_s3_bucket.store.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "store" {
  bucket = aws_s3_bucket.store.id

  # the gateway writes captured requests to endpoints/<endpoint>/capture/… and their feedback
  # labels to …/feedback/…, and tags each batch mlops-data=capture (CAPTURE_TAGS in
  # gateway/capture.ts): one rule covers every endpoint, labels expiring with their requests
  rule {
    id     = "expire-captured-requests"
    status = "Enabled"

    filter {
      and {
        prefix = local.key_prefix
        tags = {
          "mlops-data" = "capture"
        }
      }
    }

    expiration {
      days = var.capture_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }
  }

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"

    filter {
      prefix = local.key_prefix
    }

    # delete markers left once their object's versions have expired
    expiration {
      expired_object_delete_marker = true
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_retention_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.store]
}
