"""What a logged call cost: prices (bundled table, operators' overrides) and the arithmetic."""
