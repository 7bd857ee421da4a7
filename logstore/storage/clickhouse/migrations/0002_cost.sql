-- The cost of each call (issue 14): the usage parts priced apart, the USD cost (NULL when no
-- price is known, which is not a call that cost nothing) and which price was used.
ALTER TABLE $local $on_cluster
    ADD COLUMN IF NOT EXISTS cached_tokens Nullable(UInt32),
    ADD COLUMN IF NOT EXISTS cache_write_tokens Nullable(UInt32),
    ADD COLUMN IF NOT EXISTS reasoning_tokens Nullable(UInt32),
    ADD COLUMN IF NOT EXISTS cost_usd Nullable(Decimal(22, 12)),
    ADD COLUMN IF NOT EXISTS price_source LowCardinality(String),
    ADD COLUMN IF NOT EXISTS price_ref String;

-- cluster only
ALTER TABLE $logs $on_cluster
    ADD COLUMN IF NOT EXISTS cached_tokens Nullable(UInt32),
    ADD COLUMN IF NOT EXISTS cache_write_tokens Nullable(UInt32),
    ADD COLUMN IF NOT EXISTS reasoning_tokens Nullable(UInt32),
    ADD COLUMN IF NOT EXISTS cost_usd Nullable(Decimal(22, 12)),
    ADD COLUMN IF NOT EXISTS price_source LowCardinality(String),
    ADD COLUMN IF NOT EXISTS price_ref String;
