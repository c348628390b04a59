# The Rust version's two tables, unchanged, so that a deployment of it can switch over, and
# the ping history of heartbeat's own (SPEC §12).

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

  attribute {
    name = "uuid"
    type = "S"
  }

  # The checker's query: every monitor of a partition ("CHECK", or CHECK#0 .. CHECK#N-1)
  # whose next_due has passed.
  global_secondary_index {
    name            = "overdue-check-index"
    hash_key        = "check_partition"
    range_key       = "next_due"
    projection_type = "ALL"
  }

  # Healthchecks' /ping/<uuid>: the key of the monitor with that uuid, whose item is then
  # read by its slug (SPEC §13).
  global_secondary_index {
    name            = "uuid-index"
    hash_key        = "uuid"
    projection_type = "KEYS_ONLY"
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

# Ping history (PINGS_TABLE, SPEC §12): an item per ping (success, start, fail, log) with its
# body, under the monitor's slug; the sort key `sk` orders a monitor's entries. The store
# keeps the last PINGS_KEPT of each monitor and deletes older ones (PINGS_KEPT=0: no history,
# nothing written here). Items past their expires_at (Unix seconds, set by the store) are
# removed by DynamoDB's TTL, which costs no write.
resource "aws_dynamodb_table" "pings" {
  name         = local.pings_table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "slug"
  range_key    = "sk"

  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "slug"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }
}
