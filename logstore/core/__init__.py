"""Values every layer shares: ids, the JSON codec and column, secret redaction, error bodies."""
