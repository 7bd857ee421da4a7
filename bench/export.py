"""Stream a workspace's logs (at most --limit) to JSONL with the app's keyset chunks; prints
rows, bytes and peak RSS.

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
# The target is about a 1M-row export; at 10M rows the file alone would be ~40 GB.
DEFAULT_LIMIT = 1_000_000


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--workspace", required=True)
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    django.setup()
    from logstore.exports.writers import iter_logs
    from logstore.models import Workspace
    from logstore.query.presenters import log_as_dict
    from logstore.storage.port import LogCriteria

    workspace_id = Workspace.objects.get(slug=args.workspace).pk
    criteria = LogCriteria(workspace_ids=(workspace_id,))
    rows = size = 0
    with tempfile.NamedTemporaryFile("wb", suffix=".jsonl", delete=True) as out:
        for log in iter_logs(criteria, chunk_size=CHUNK, limit=args.limit):
            line = orjson.dumps(log_as_dict(log)) + b"\n"
            out.write(line)
            rows += 1
            size += len(line)
    status = Path("/proc/self/status").read_text()
    peak = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
    print(json.dumps({"rows": rows, "megabytes": round(size / 2**20), "peak_rss_mb": peak // 1024}))


if __name__ == "__main__":
    main()
