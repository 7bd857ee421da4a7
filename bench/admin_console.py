"""Server time of the admin's log pages over a large log table on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/python bench/admin_console.py \
        --rows 1000000

Fills the log table with synthetic rows once (skipped when it already holds enough), then times
each page through Django's test client, in-process, and prints the plan of the list's query.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

import django  # noqa: E402

django.setup()

from datetime import UTC, datetime, timedelta  # noqa: E402

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from logstore.models import Log, Workspace  # noqa: E402
from logstore.storage.partitions import create_partition, existing_partitions  # noqa: E402

DAYS = 14
WORKSPACES = 5
CHUNK = 100_000

FILL = """
INSERT INTO logstore_log (
    id, workspace_id, api_key_id, created_at, received_at, trace_id, span_id, parent_span_id,
    span_name, "user", organization, environment, provider, model, method, url, status,
    is_success, latency_ms, prompt_tokens, completion_tokens, total_tokens, streaming,
    request, response, metadata, metadata_index)
SELECT gen_random_uuid(),
    -- hashed, so a workspace's rows are not correlated with the status or model patterns
    (%(workspaces)s::bigint[])[1 + abs(hashint4(i::int)) %% %(nws)s], NULL, t, t,
    'trace-' || (i / 4), 'span-' || i,
    CASE WHEN i %% 4 = 0 THEN '' ELSE 'span-' || (i - i %% 4) END,
    'chat', 'user-' || (i %% 2000), 'org-' || (i %% 50),
    (ARRAY['prod','staging','dev'])[1 + i %% 3],
    (ARRAY['openai','anthropic','google'])[1 + i %% 3],
    (ARRAY['gpt-4o','gpt-4o-mini','claude-3-5-sonnet','claude-3-haiku','gemini-1.5','o1'])
        [1 + i %% 6],
    'POST', 'https://api.openai.com/v1/chat/completions',
    CASE WHEN i %% 40 = 0 THEN 500 WHEN i %% 25 = 0 THEN 429 ELSE 200 END,
    NOT (i %% 40 = 0 OR i %% 25 = 0), 100 + i %% 900, 50 + i %% 500, 10 + i %% 300,
    60 + i %% 500 + i %% 300, i %% 7 = 0,
    '{"url": "https://api.openai.com/v1/chat/completions", "method": "POST", '
    || '"body": {"model": "gpt-4o", "messages": [{"role": "user", "content": "'
    || repeat('Tell me about partitions. ', 40) || '"}]}}',
    '{"status": 200, "body": {"choices": [{"message": {"role": "assistant", "content": "'
    || repeat('Partitions split a table. ', 40) || '"}}]}}',
    '{"env": "prod", "tier": "' || (i %% 10) || '"}',
    jsonb_build_object('env', 'prod', 'tier', (i %% 10)::text)
FROM (
    SELECT i, %(now)s::timestamptz - make_interval(secs => i * %(spread)s) AS t
    FROM generate_series(%(start)s, %(stop)s) AS i
) AS s
"""


def fill(rows):
    have = Log.objects.count()  # once, before the run; the pages themselves never count
    if have >= rows:
        print(f"log table already holds {have} rows")
        return
    workspaces = [
        Workspace.objects.get_or_create(slug=f"bench-{n}", defaults={"name": f"Bench {n}"})[0].pk
        for n in range(WORKSPACES)
    ]
    now = datetime.now(UTC)
    have_days = existing_partitions()
    for offset in range(DAYS + 1):
        day = (now - timedelta(days=offset)).date()
        if day not in have_days:
            create_partition(day)
    spread = DAYS * 86400 / rows
    for start in range(have, rows, CHUNK):
        stop = min(start + CHUNK, rows) - 1
        began = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                FILL,
                {
                    "workspaces": workspaces,
                    "nws": WORKSPACES,
                    "now": now,
                    "spread": spread,
                    "start": start,
                    "stop": stop,
                },
            )
        print(f"  rows {start}..{stop} in {time.perf_counter() - began:.1f}s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE logstore_log")


def timed(client, url, runs):
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times), max(times), response


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Point DATABASE_URL at a PostgreSQL database.")
    setup_test_environment()  # so responses carry their template context
    call_command("migrate", verbosity=0)
    fill(args.rows)

    root, _ = get_user_model().objects.get_or_create(
        username="bench-root", defaults={"is_staff": True, "is_superuser": True}
    )
    staff, _ = get_user_model().objects.get_or_create(
        username="bench-staff", defaults={"is_staff": True}
    )
    Workspace.objects.get(slug="bench-1").members.add(staff)
    superuser, member = Client(), Client()
    superuser.force_login(root)
    member.force_login(staff)

    changelist = "/admin/logstore/log/"
    sample = Log.objects.filter(workspace__slug="bench-1").order_by("-created_at")[5000]
    deep = changelist
    for _ in range(20):  # page 21 by following "older" links, as a person would
        deep = changelist + superuser.get(deep).context["cl"].older_url
    pages = [
        ("superuser: newest page", superuser, changelist),
        ("superuser: page 21 (keyset)", superuser, deep),
        ("superuser: search trace id", superuser, f"{changelist}?q={sample.trace_id}"),
        ("superuser: search user (any column)", superuser, f"{changelist}?q={sample.user}"),
        ("superuser: status_class=5xx", superuser, f"{changelist}?status_class=5xx"),
        ("superuser: model + last 24 h", superuser, f"{changelist}?model=o1&since=24h"),
        ("superuser: metadata tier=3", superuser, f"{changelist}?metadata=tier%3D3"),
        ("staff of one workspace: newest", member, changelist),
        ("staff: status=429", member, f"{changelist}?status=429"),
        # The worst case: a filter no index serves that matches nothing reads every row.
        ("superuser: status=418 (no match)", superuser, f"{changelist}?status=418"),
        ("superuser: status=418 + last hour", superuser, f"{changelist}?status=418&since=1h"),
        ("detail page", superuser, f"{changelist}{sample.pk}/change/"),
    ]
    print(f"\n{'page':40} {'median ms':>10} {'max ms':>8} {'queries':>8}")
    for label, client, url in pages:
        median, worst, _ = timed(client, url, args.runs)
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        print(f"{label:40} {median:10.1f} {worst:8.1f} {len(captured):8}")

    with CaptureQueriesContext(connection) as captured:
        superuser.get(f"{changelist}?q=trace:{sample.trace_id}")
    (sql,) = [q["sql"] for q in captured.captured_queries if q["sql"].endswith("LIMIT 51")]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) " + sql)
        print("\nplan of the trace-id search:")
        print("\n".join(row[0] for row in cursor.fetchall() if "never executed" not in row[0]))


if __name__ == "__main__":
    main()
