"""`manage.py migrate_clickhouse`: apply the ClickHouse migrations, or print their SQL."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from logstore.storage import get_store
from logstore.storage.clickhouse.connection import DEFAULT_DATABASE, parse_url
from logstore.storage.clickhouse.schema import Layout, full_sql


class Command(BaseCommand):
    help = (
        "Apply the ClickHouse schema migrations not yet recorded (also done by `migrate` when "
        "CLICKHOUSE_URL is set). --sql prints the DDL instead, for one server or a cluster."
    )

    def add_arguments(self, parser):
        parser.add_argument("--sql", action="store_true", help="Print the DDL; run nothing.")
        parser.add_argument(
            "--cluster",
            default=None,
            help="With --sql: the cluster name to generate for (default CLICKHOUSE_CLUSTER).",
        )

    def handle(self, *args, sql, cluster, **options):
        if sql:
            url = settings.CLICKHOUSE_URL
            database = parse_url(url).database if url else DEFAULT_DATABASE
            layout = Layout(database, settings.CLICKHOUSE_CLUSTER if cluster is None else cluster)
            self.stdout.write(full_sql(layout))
            return
        store = get_store()
        if store.transactional:
            raise CommandError("CLICKHOUSE_URL is not set: logs live in the Django database.")
        ran = store.migrate(progress=self.stdout.write)
        self.stdout.write(f"Applied {len(ran)} ClickHouse migration(s).")
