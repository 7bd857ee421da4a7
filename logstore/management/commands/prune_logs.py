"""`manage.py prune_logs`: apply every workspace's retention; safe to run from cron."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from logstore.storage.partitions import PartitionLockTimeout
from logstore.storage.retention import DEFAULT_BATCH_SIZE, IDEMPOTENCY_TTL, prune_logs


class Command(BaseCommand):
    help = (
        "Remove logs older than their workspace's retention_days: whole daily partitions "
        "where possible (PostgreSQL), small batches otherwise; and idempotency records."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be removed; remove nothing."
        )
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
        parser.add_argument(
            "--idempotency-hours",
            type=int,
            default=int(IDEMPOTENCY_TTL.total_seconds() // 3600),
            help="Keep Idempotency-Key records this long.",
        )

    def handle(self, *args, dry_run, batch_size, idempotency_hours, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            report = prune_logs(
                dry_run=dry_run,
                batch_size=batch_size,
                idempotency_ttl=timedelta(hours=idempotency_hours),
                progress=self.stdout.write,
            )
        except PartitionLockTimeout as exc:
            raise CommandError(f"{exc}; try again later.") from None
        verb = "Would remove" if dry_run else "Removed"
        self.stdout.write(
            f"{verb} {len(report.dropped_partitions)} partition(s), "
            f"{sum(report.deleted_logs.values())} log(s) in batches, "
            f"{report.deleted_idempotency_records} idempotency record(s)."
        )
