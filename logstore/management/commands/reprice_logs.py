"""`manage.py reprice_logs`: recompute stored costs after prices change (an override added in
the admin, or a newer bundled price table)."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from logstore.models import Workspace
from logstore.pricing.repricing import DEFAULT_BATCH_SIZE, reprice_logs
from logstore.storage import get_store
from logstore.storage.port import LogCriteria

BAR_WIDTH = 30


def _time(value):
    parsed = parse_datetime(value)
    if parsed is None:
        raise CommandError(f"{value!r} is not an ISO 8601 date-time.")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, timezone.UTC)


class Command(BaseCommand):
    help = (
        "Recompute the cost of stored logs from today's prices (overrides, then the bundled "
        "table); client-reported costs are kept. Newest first, in batches."
    )

    def add_arguments(self, parser):
        parser.add_argument("--workspace", help="Workspace slug; every workspace if omitted.")
        parser.add_argument("--days", type=float, help="Only logs of the last N days.")
        parser.add_argument("--start", help="Only logs at or after this ISO time.")
        parser.add_argument("--end", help="Only logs before this ISO time (default: now).")
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)

    def handle(self, *args, workspace, days, start, end, batch_size, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if days is not None and start:
            raise CommandError("Give --days or --start, not both.")
        target = None
        if workspace:
            target = Workspace.objects.filter(slug=workspace).first()
            if target is None:
                raise CommandError(f"No workspace {workspace!r}.")
        now = timezone.now()
        # Clients may date a call up to a day ahead (see ingestion.normalize): include those.
        end_at = _time(end) if end else now + timedelta(days=1)
        if days is not None:
            start_at = now - timedelta(days=days)
        elif start:
            start_at = _time(start)
        else:
            # The oldest log bounds the range the progress bar shows.
            scope = LogCriteria(workspace_ids=(target.pk,) if target else None)
            start_at = get_store().oldest(scope) or end_at
        if start_at >= end_at:
            self.stdout.write("Nothing to reprice: the time range is empty.")
            return
        report = reprice_logs(
            start=start_at,
            end=end_at,
            workspace=target,
            batch_size=batch_size,
            progress=self._progress,
        )
        self.stderr.write("")
        self.stdout.write(f"Repriced {report.changed} of {report.examined} log(s).")

    def _progress(self, fraction, report):
        filled = round(fraction * BAR_WIDTH)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        self.stderr.write(
            f"\r[{bar}] {fraction:4.0%}  {report.examined:,} examined, {report.changed:,} changed",
            ending="",
        )
        self.stderr.flush()
