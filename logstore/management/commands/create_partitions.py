"""`manage.py create_partitions`: daily partitions ahead of time; safe to run from cron."""

from django.core.management.base import BaseCommand, CommandError

from logstore.storage.partitions import (
    PartitionLockTimeout,
    analyze_stale_partitions,
    create_partition,
    days_in_default_partition,
    ensure_partitions,
    is_partitioned,
    partition_name,
)


class Command(BaseCommand):
    help = (
        "Create the log table's daily partitions ahead of time (PostgreSQL). Concurrent runs "
        "serialise on an advisory lock; each partition is one short transaction. Partitions with "
        "stale or no statistics are analyzed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days-ahead", type=int, default=7)
        parser.add_argument("--days-behind", type=int, default=1)
        parser.add_argument(
            "--from-default",
            action="store_true",
            help="Also give their own partition to days whose rows landed in the default one.",
        )

    def handle(self, *args, days_ahead, days_behind, from_default, **options):
        if not is_partitioned():
            self.stdout.write("The log table is not partitioned on this database; nothing to do.")
            return
        try:
            created = ensure_partitions(days_ahead=days_ahead, days_behind=days_behind)
            stray_days = days_in_default_partition()
            if from_default:
                created += [partition_name(d) for d in stray_days if create_partition(d)]
                stray_days = days_in_default_partition()
        except PartitionLockTimeout as exc:
            raise CommandError(f"{exc}; try again later.") from None
        self.stdout.write(f"Created {len(created)} partition(s): {', '.join(created) or '-'}")
        analyzed = analyze_stale_partitions()
        self.stdout.write(f"Analyzed {len(analyzed)} partition(s): {', '.join(analyzed) or '-'}")
        if stray_days:
            self.stdout.write(
                f"The default partition holds rows of {len(stray_days)} day(s), from "
                f"{stray_days[0]} to {stray_days[-1]}; --from-default gives them partitions."
            )
