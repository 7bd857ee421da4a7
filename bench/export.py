"""Stream a workspace's logs to JSONL with keyset chunks; prints rows, bytes and peak RSS.

Run by bench/run.py in its own process so its peak RSS is the export's alone.
"""

import argparse
import json
import os
import tempfile
from pathlib import Path

import django
import orjson

CHUNK = 2000


def iter_logs(queryset, chunk=CHUNK):
    """Newest first, keyset-paged on (created_at, id): memory stays one chunk deep."""
    from django.db.models import Q

    page = list(queryset.order_by("-created_at", "-id")[:chunk])
    while page:
        yield from page
        last = page[-1]
        after = Q(created_at__lt=last.created_at) | Q(created_at=last.created_at, id__lt=last.id)
        # The plain bound is what PostgreSQL can use as an index condition (and to prune
        # partitions); without it every chunk would rescan from the newest row.
        page = list(
            queryset.filter(after, created_at__lte=last.created_at).order_by("-created_at", "-id")[
                :chunk
            ]
        )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--workspace", required=True)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    django.setup()
    from logstore.models import Log, Workspace
    from logstore.presenters import log_as_dict

    # By id, not workspace__slug: a join would hide the constant from the (workspace_id, ...)
    # index and turn every chunk into a scan.
    workspace_id = Workspace.objects.get(slug=args.workspace).pk
    queryset = Log.objects.filter(workspace_id=workspace_id)
    rows = size = 0
    with tempfile.NamedTemporaryFile("wb", suffix=".jsonl", delete=True) as out:
        for log in iter_logs(queryset):
            line = orjson.dumps(log_as_dict(log)) + b"\n"
            out.write(line)
            rows += 1
            size += len(line)
    status = Path("/proc/self/status").read_text()
    peak = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
    print(json.dumps({"rows": rows, "megabytes": round(size / 2**20), "peak_rss_mb": peak // 1024}))


if __name__ == "__main__":
    main()
