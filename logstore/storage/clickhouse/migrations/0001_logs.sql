-- The log table. One row per LLM call or span, never updated, so a plain MergeTree: no
-- ReplacingMergeTree and so no FINAL on any read (Langfuse needs ReplacingMergeTree because
-- its observations are updated in place; ours are immutable facts).
--
-- ORDER BY (workspace_id, created_at, id): every read is one workspace's (or a few) logs in a
-- time window, newest first, so the sparse primary index narrows to that workspace's range
-- and "latest 50" is read in order from the end of it (optimize_read_in_order) without
-- sorting; id breaks ties exactly as the keyset cursors do. Langfuse orders observations by
-- (project_id, type, toDate(start_time), id) for the same reason: tenant first, then time.
--
-- PARTITION BY day: retention is set in days per workspace, and a day that no workspace
-- keeps goes with one DROP PARTITION (no mutation). A year of retention is ~366 partitions,
-- well inside what MergeTree handles; Langfuse partitions by month because its retention
-- is coarser.
--
-- Bodies (request, response, metadata, url) are ZSTD(3): they are most of the bytes and
-- compress ~10x; Langfuse uses the same codec for input/output. The short, repetitive
-- columns are LowCardinality (a dictionary per part).
--
-- metadata_index is Map(LowCardinality(String), String), like Langfuse's metadata: the scalar
-- metadata values as text, so `key=value` filters compare what a person typed. Bloom-filter
-- skip indexes on its keys and values (and on trace, span, user and log ids, which a
-- workspace's time order does not cluster) let ClickHouse skip granules that cannot match.
--
-- non_replicated_deduplication_window makes a repeated INSERT with the same
-- insert_deduplication_token a no-op on a single server (replicated tables dedupe by
-- default). fsync_after_insert: an acknowledged batch is on disk, not only in page cache.
CREATE TABLE IF NOT EXISTS $local $on_cluster
(
    id UUID,
    workspace_id UInt64,
    api_key_id Nullable(UInt64),
    created_at DateTime64(6, 'UTC'),
    received_at DateTime64(6, 'UTC'),
    trace_id String,
    span_id String,
    parent_span_id String,
    span_name String,
    user String,
    organization String,
    environment LowCardinality(String),
    provider LowCardinality(String),
    model LowCardinality(String),
    method LowCardinality(String),
    url String CODEC(ZSTD(3)),
    status Nullable(UInt16),
    is_success Bool,
    latency_ms Nullable(UInt32),
    prompt_tokens Nullable(UInt32),
    completion_tokens Nullable(UInt32),
    total_tokens Nullable(UInt32),
    streaming Bool,
    request String CODEC(ZSTD(3)),
    response String CODEC(ZSTD(3)),
    metadata Nullable(String) CODEC(ZSTD(3)),
    metadata_index Map(LowCardinality(String), String),
    -- Get by id, and the admin's id search.
    INDEX idx_id id TYPE bloom_filter(0.001) GRANULARITY 1,
    -- Trace page and trace-id filters.
    INDEX idx_trace_id trace_id TYPE bloom_filter(0.001) GRANULARITY 1,
    -- Span-id filters and the "parent span" link.
    INDEX idx_span_id span_id TYPE bloom_filter(0.01) GRANULARITY 1,
    -- "This user's latest logs" and the organisation filter.
    INDEX idx_user user TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_organization organization TYPE bloom_filter(0.01) GRANULARITY 1,
    -- Metadata key=value filters: mapContains and m[k] = v.
    INDEX idx_metadata_keys mapKeys(metadata_index) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_metadata_values mapValues(metadata_index) TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = $merge_tree
PARTITION BY toYYYYMMDD(created_at)
ORDER BY (workspace_id, created_at, id)
SETTINGS $table_settings;

-- cluster only: the table every query names, fanning out to each shard's local table. A
-- trace stays on one shard (its spans share the sharding key), so a trace page is answered
-- by one shard's parts; one workspace's logs spread over all shards.
CREATE TABLE IF NOT EXISTS $logs $on_cluster AS $local
ENGINE = Distributed($cluster, $database, $local_name, cityHash64(workspace_id, trace_id));
