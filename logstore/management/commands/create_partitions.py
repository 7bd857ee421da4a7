from django.core.management.base import BaseCommand

from logstore.partitions import ensure_partitions, is_partitioned


class Command(BaseCommand):
    help = "Create the log table's daily partitions ahead of time (PostgreSQL; safe from cron)."

    def add_arguments(self, parser):
        parser.add_argument("--days-ahead", type=int, default=7)
        parser.add_argument("--days-behind", type=int, default=1)

    def handle(self, *args, days_ahead, days_behind, **options):
        if not is_partitioned():
            self.stdout.write("The log table is not partitioned on this database; nothing to do.")
            return
        created = ensure_partitions(days_ahead=days_ahead, days_behind=days_behind)
        self.stdout.write(f"Created {len(created)} partition(s): {', '.join(created) or '-'}")
