"""Log rows for the rollup tests: a random mix of models, users, statuses, latencies, tokens
and costs over the last hours, written with bulk_create (no ingest)."""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from logstore.models import Log

MODELS = ["gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet", "gemini-1.5-pro"]


def make_logs(workspace, count, *, hours_back, seed=1, now=None):
    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    rows = []
    for _ in range(count):
        failed = rng.random() < 0.1
        tokens = rng.choice([None, rng.randrange(2000)])
        priced = tokens is not None and rng.random() < 0.8
        rows.append(
            Log(
                workspace=workspace,
                created_at=now - timedelta(seconds=rng.uniform(0, hours_back * 3600)),
                received_at=now,
                trace_id=f"t{rng.randrange(10**9)}",
                model=rng.choice(MODELS),
                provider=rng.choice(["openai", "anthropic", "google"]),
                user=f"user-{int(rng.paretovariate(1.2)) % 40}",
                environment=rng.choice(["prod", "staging", ""]),
                status=503 if failed else rng.choice([200, 200, 201, None]),
                is_success=not failed,
                latency_ms=None if rng.random() < 0.05 else int(rng.lognormvariate(6, 1.2)),
                total_tokens=tokens,
                # Multiples of 1/1024 dollar: SQLite sums raw decimals as binary floats,
                # which hold these exactly, so both paths must agree to the last digit.
                cost_usd=Decimal(rng.randrange(1, 50)) / 1024 if priced else None,
            )
        )
    Log.objects.bulk_create(rows)
    return rows
