"""Rows for bulk loads: the same columns ingest writes, built fast from a pool of real bodies.

Normalising a million logs one by one would dominate the run; bodies do not change how queries
behave, so a pool of normalised logs supplies them while ids, times, traces, users and metadata
are fresh for every row.
"""

import random
from datetime import timedelta

from bench.logs import LogFactory
from logstore.core.ids import uuid7
from logstore.core.jsoncodec import dumps
from logstore.ingestion.normalize import metadata_index
from logstore.ingestion.store import prepare_logs
from logstore.pricing.costing import price_logs
from logstore.storage.orm import log_rows, row_plan


def column_positions():
    names, _ = row_plan()
    return {name: i for i, name in enumerate(names)}


class RowSource:
    """Yields COPY rows for `workspace_ids` (weighted), spread evenly over [start, end)."""

    def __init__(self, workspaces, start, end, seed=11, pool_size=4000):
        self.workspaces = workspaces  # [(workspace_id, api_key_id, weight)]
        self.start, self.end = start, end
        self.rng = random.Random(seed)
        factory = LogFactory(seed=seed, start=start, end=end)
        self.factory = factory
        items = factory.batch(pool_size)
        pool = prepare_logs(items, {})
        price_logs(0, pool)  # what ingest does; workspace 0 has no overrides: bundled prices
        self.pool = list(log_rows(0, None, [uuid7() for _ in pool], pool))
        self.col = column_positions()
        self.samples = {"trace_id": [], "user": [], "metadata": []}

    def rows(self, count):
        rng, col, factory = self.rng, self.col, self.factory
        span = (self.end - self.start).total_seconds()
        weights = [w for *_, w in self.workspaces]
        produced = 0
        while produced < count:
            factory._new_trace()
            ws_id, key_id, _ = rng.choices(self.workspaces, weights)[0]
            metadata = factory.trace_meta
            meta_text = dumps(metadata)
            index_text = dumps(metadata_index(metadata))
            when = self.start + timedelta(seconds=span * (produced / count))
            if rng.random() < 0.001 and ws_id == self.workspaces[0][0]:
                self.samples["trace_id"].append(factory.trace[0][0])
                self.samples["user"].append(metadata["_user"])
                self.samples["metadata"].append(
                    [f"{k}={v}" for k, v in metadata_index(metadata).items() if k[0] != "_"]
                )
            for trace_id, span_id, parent, index in factory.trace:
                if produced >= count:
                    break
                row = list(rng.choice(self.pool))
                created = when + timedelta(milliseconds=index * 300)
                row[col["id"]] = uuid7()
                row[col["workspace_id"]] = ws_id
                row[col["api_key_id"]] = key_id
                row[col["created_at"]] = created
                row[col["received_at"]] = created
                row[col["trace_id"]] = trace_id
                row[col["span_id"]] = span_id
                row[col["parent_span_id"]] = parent
                row[col["user"]] = metadata["_user"]
                row[col["environment"]] = metadata["_environment"]
                row[col["metadata"]] = meta_text
                row[col["metadata_index"]] = index_text
                produced += 1
                yield row
