# The Rust version's two tables, unchanged, so that a deployment of it can switch over.

resource "aws_dynamodb_table" "monitors" {
  name         = local.monitors_table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "slug"

  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "slug"
    type = "S"
  }

  attribute {
    name = "check_partition"
    type = "S"
  }

  attribute {
    name = "next_due"
    type = "N"
  }

  # The checker's query: every monitor of a partition ("CHECK", or CHECK#0 .. CHECK#N-1)
  # whose next_due has passed.
  global_secondary_index {
    name            = "overdue-check-index"
    hash_key        = "check_partition"
    range_key       = "next_due"
    projection_type = "ALL"
  }

  # Monitors expire 90 days after their last ping.
  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }
}

resource "aws_dynamodb_table" "api_keys" {
  name         = local.api_keys_table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "key_hash"

  deletion_protection_enabled = var.deletion_protection

  # The hex SHA-256 of each key; never the key.
  attribute {
    name = "key_hash"
    type = "S"
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }
}
