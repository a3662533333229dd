# The Temporal Cloud namespace the workers and the CLI connect to, with the custom search
# attributes the workflows set (common/search-attributes.ts: names and types must match).

locals {
  # name => type, as the provider names the types (bool, datetime, double, int, keyword, keyword_list, text)
  search_attributes = {
    MlPipeline       = "keyword"
    MlModel          = "keyword"
    MlModelVersion   = "keyword"
    MlDatasetVersion = "keyword"
    MlStage          = "keyword"
    MlEndpoint       = "keyword"
    MlTrigger        = "keyword"
    MlPrimaryMetric  = "double"
  }
}

resource "temporalcloud_namespace" "mlops" {
  name           = var.temporal_namespace_name
  regions        = var.temporal_regions
  retention_days = var.temporal_retention_days

  api_key_auth       = var.temporal_auth == "api_key"
  accepted_client_ca = var.temporal_auth == "mtls" ? var.temporal_accepted_client_ca : null

  namespace_lifecycle = {
    enable_delete_protection = var.temporal_delete_protection
  }

  lifecycle {
    precondition {
      condition     = var.temporal_auth != "mtls" || var.temporal_accepted_client_ca != null
      error_message = "temporal_accepted_client_ca: required when temporal_auth is mtls."
    }
  }
}

resource "temporalcloud_namespace_search_attribute" "mlops" {
  for_each = local.search_attributes

  namespace_id = temporalcloud_namespace.mlops.id
  name         = each.key
  type         = each.value
}
