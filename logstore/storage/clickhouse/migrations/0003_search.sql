-- Full-text search and the list's preview (issue 13): the prompt's and response's text,
-- folded as the ORM's search_text is (`q=` compares folded text by substring, with no
-- index on ClickHouse: a scan of the time window's parts, which ZSTD keeps small), and the
-- one-line "prompt → answer" preview.
ALTER TABLE $local $on_cluster
    ADD COLUMN IF NOT EXISTS search_text String CODEC(ZSTD(3)),
    ADD COLUMN IF NOT EXISTS preview String CODEC(ZSTD(3));

-- cluster only
ALTER TABLE $logs $on_cluster
    ADD COLUMN IF NOT EXISTS search_text String CODEC(ZSTD(3)),
    ADD COLUMN IF NOT EXISTS preview String CODEC(ZSTD(3));
