"""`manage.py copy_logs_to_clickhouse`: move the Django database's logs into ClickHouse.

Newest first, in bounded keyset chunks, each one INSERT with a deduplication token made of
its ids: a chunk copied twice (the run was stopped after the insert, before its checkpoint
was saved) is stored once. The checkpoint file lets a stopped run carry on where it was;
the per-day counts of both sides are compared at the end.
"""

import hashlib
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from logstore.query.keyset import decode_cursor, encode_cursor
from logstore.storage import get_store
from logstore.storage.orm import OrmLogStore
from logstore.storage.port import LogCriteria

DEFAULT_CHUNK = 5000


def chunk_token(rows) -> str:
    """The chunk's deduplication token: the same rows always make the same token."""
    return "copy-" + hashlib.sha256(b"".join(row.id.bytes for row in rows)).hexdigest()


class Command(BaseCommand):
    help = (
        "Copy every log from the Django database (SQLite or PostgreSQL) to the ClickHouse "
        "store CLICKHOUSE_URL names, resumably, then compare the per-day counts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK)
        parser.add_argument(
            "--checkpoint",
            type=Path,
            default=Path(settings.BASE_DIR) / "var" / "copy_logs_to_clickhouse.checkpoint",
            help="Where the position of the last copied chunk is kept between runs.",
        )
        parser.add_argument(
            "--restart", action="store_true", help="Ignore the checkpoint; copy from the newest."
        )
        parser.add_argument(
            "--verify-only", action="store_true", help="Only compare the per-day counts."
        )

    def handle(self, *args, chunk_size, checkpoint, restart, verify_only, **options):
        destination = get_store()
        if destination.transactional:
            raise CommandError("Set CLICKHOUSE_URL to the ClickHouse store to copy into.")
        if chunk_size < 1:
            raise CommandError("--chunk-size must be at least 1.")
        source = OrmLogStore()
        destination.migrate()
        expected = source.count_by_day()
        if not verify_only:
            self.copy(source, destination, expected, chunk_size, checkpoint, restart)
        self.verify(expected, destination.count_by_day())

    def copy(self, source, destination, expected, chunk_size, checkpoint, restart):
        after = None
        if checkpoint.exists() and not restart:
            created_at, log_id = decode_cursor(checkpoint.read_text().strip())
            after = SimpleNamespace(created_at=created_at, id=log_id)
            self.stdout.write(f"Resuming after {created_at.isoformat()} ({log_id}).")
        checkpoint.parent.mkdir(parents=True, exist_ok=True)
        with tqdm(total=sum(expected.values()), unit="log", file=self.stderr) as bar:
            if after is not None:
                done = sum(n for day, n in expected.items() if day > after.created_at.date())
                bar.update(done)
            chunks = source.chunks(LogCriteria(workspace_ids=None), size=chunk_size, after=after)
            for rows in chunks:
                destination.insert_rows(rows, dedup_token=chunk_token(rows))
                checkpoint.write_text(encode_cursor(rows[-1]))
                bar.update(len(rows))
        checkpoint.unlink(missing_ok=True)

    def verify(self, expected, found):
        days = sorted(set(expected) | set(found))
        wrong = [(day, expected.get(day, 0), found.get(day, 0)) for day in days]
        wrong = [row for row in wrong if row[1] != row[2]]
        self.stdout.write(f"{'day':<12}{'Django DB':>12}{'ClickHouse':>12}")
        for day in days:
            self.stdout.write(f"{day!s:<12}{expected.get(day, 0):>12}{found.get(day, 0):>12}")
        if wrong:
            # ClickHouse may hold more: logs ingested there since the switch.
            missing = [row for row in wrong if row[2] < row[1]]
            if missing:
                raise CommandError(f"{len(missing)} day(s) have fewer logs in ClickHouse.")
            self.stdout.write(f"{len(wrong)} day(s) have more logs in ClickHouse (new ingest).")
        self.stdout.write(self.style.SUCCESS(f"Every day's logs are in ClickHouse ({len(days)})."))
