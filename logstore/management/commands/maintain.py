"""`manage.py maintain`: fold per-request usage into the keys' counters and keep the charts'
hourly rollups current (--every N: every N seconds, beside the server); or rebuild a range of
rollups."""

import time
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from logstore.apikeys.usage import fold_usage
from logstore.models import Workspace
from logstore.query import rollups


def moment(value) -> datetime:
    parsed = parse_datetime(value)
    if parsed is None or parsed.tzinfo is None:
        raise CommandError(f"Not an ISO date-time with a time zone: {value!r}")
    return parsed


class Command(BaseCommand):
    help = (
        "Fold recorded usage into the API keys' daily counters and roll up the hours that "
        "received logs since the last run (--every N: keep doing so every N seconds, beside "
        "the server); or --rebuild the chart rollups of [--start, --end)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, metavar="SECONDS")
        parser.add_argument("--rebuild", action="store_true")
        parser.add_argument("--start", type=moment)
        parser.add_argument("--end", type=moment)
        parser.add_argument("--workspace", help="a workspace slug (with --rebuild)")

    def handle(self, *args, every, rebuild, start, end, workspace, **options):
        if rebuild:
            if start is None or end is None or start >= end:
                raise CommandError("--rebuild needs --start before --end.")
            ids = None
            if workspace:
                ids = list(Workspace.objects.filter(slug=workspace).values_list("pk", flat=True))
                if not ids:
                    raise CommandError(f"No workspace {workspace!r}.")
            written = rollups.rebuild(start, end, ids)
            self.stdout.write(f"Rebuilt {written} rollup rows.")
            return
        while True:
            folded = fold_usage()
            written = rollups.refresh()
            if not every:
                self.stdout.write(f"Folded {folded} usage events; refreshed {written} rollup rows.")
                return
            time.sleep(every)
