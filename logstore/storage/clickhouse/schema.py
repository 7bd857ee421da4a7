"""The ClickHouse schema: numbered `.sql` migrations, applied once each and recorded.

The same files serve one server and a cluster. They name tables through placeholders
(`$local`, `$logs`, `$on_cluster`, `$merge_tree`, ...): on one server `$local` and `$logs` are
the same MergeTree table; with CLICKHOUSE_CLUSTER set, `$local` is each shard's
ReplicatedMergeTree and `$logs` the Distributed table in front of it, every statement runs
ON CLUSTER, and statements under a `-- cluster only` comment run there and nowhere else.
"""

import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

from django.core.exceptions import ImproperlyConfigured

from logstore.storage.clickhouse.connection import IDENTIFIER

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
MIGRATION_NAME = re.compile(r"\d{4}_[a-z0-9_]+\.sql")
CLUSTER_ONLY = "-- cluster only"
# One server: dedupe repeated inserts by token, and fsync each acknowledged part.
SINGLE_SETTINGS = (
    "index_granularity = 8192, non_replicated_deduplication_window = 1000, "
    "fsync_after_insert = 1, fsync_part_directory = 1"
)
# Replicated tables dedupe by token by default; durability comes from insert_quorum.
CLUSTER_SETTINGS = "index_granularity = 8192"


@dataclass(frozen=True)
class Layout:
    database: str
    cluster: str = ""

    def __post_init__(self):
        for name in (self.database, self.cluster):
            if name and not IDENTIFIER.fullmatch(name):
                raise ImproperlyConfigured(f"Not a ClickHouse identifier: {name!r}")

    @property
    def local_name(self):
        return "logs_local" if self.cluster else "logs"

    @property
    def logs(self):
        """The table every read and insert names."""
        return f"`{self.database}`.`logs`"

    @property
    def local(self):
        """The MergeTree table that holds the parts: what partitions are dropped from."""
        return f"`{self.database}`.`{self.local_name}`"

    @property
    def on_cluster(self):
        return f"ON CLUSTER `{self.cluster}`" if self.cluster else ""

    def merge_tree(self, table):
        if not self.cluster:
            return "MergeTree"
        path = f"/clickhouse/tables/{{shard}}/{self.database}/{table}"
        return f"ReplicatedMergeTree('{path}', '{{replica}}')"

    def substitutions(self):
        return {
            "database": f"`{self.database}`",
            "cluster": f"`{self.cluster}`",
            "logs": self.logs,
            "local": self.local,
            "local_name": f"`{self.local_name}`",
            "on_cluster": self.on_cluster,
            "merge_tree": self.merge_tree(self.local_name),
            "table_settings": CLUSTER_SETTINGS if self.cluster else SINGLE_SETTINGS,
        }


def migration_files() -> list[Path]:
    files = sorted(MIGRATIONS_DIR.glob("*.sql"))
    for path in files:
        if not MIGRATION_NAME.fullmatch(path.name):
            raise ImproperlyConfigured(f"ClickHouse migration {path.name} is not NNNN_name.sql")
    return files


def render(text: str, layout: Layout) -> list[str]:
    """The statements of one migration file for this layout, comments removed."""
    statements = []
    for chunk in re.split(r";\s*(?:\n|$)", text):
        lines = chunk.strip().splitlines()
        cluster_only = any(line.strip().startswith(CLUSTER_ONLY) for line in lines)
        sql = "\n".join(line for line in lines if not line.strip().startswith("--")).strip()
        if not sql or (cluster_only and not layout.cluster):
            continue
        statements.append(Template(sql).substitute(layout.substitutions()))
    return statements


def bootstrap_statements(layout: Layout) -> list[str]:
    return [
        f"CREATE DATABASE IF NOT EXISTS `{layout.database}` {layout.on_cluster}",
        f"CREATE TABLE IF NOT EXISTS `{layout.database}`.`schema_migrations` {layout.on_cluster} "
        "(name String, applied_at DateTime DEFAULT now()) "
        f"ENGINE = {layout.merge_tree('schema_migrations')} ORDER BY name",
    ]


def full_sql(layout: Layout) -> str:
    """Every statement, in order, as one script: what `migrate_clickhouse --sql` prints."""
    parts = [*bootstrap_statements(layout)]
    for path in migration_files():
        parts.extend(render(path.read_text(), layout))
    return ";\n\n".join(parts) + ";\n"


def applied(connection, layout: Layout) -> set[str]:
    _, rows = connection.query(f"SELECT name FROM `{layout.database}`.`schema_migrations`")
    return {name for (name,) in rows}


def migrate(connection, layout: Layout, progress=lambda message: None) -> list[str]:
    """Apply the migrations not yet recorded; returns their names."""
    for sql in bootstrap_statements(layout):
        connection.command(sql)
    done = applied(connection, layout)
    ran = []
    for path in migration_files():
        if path.name in done:
            continue
        progress(f"Applying ClickHouse migration {path.name}")
        for sql in render(path.read_text(), layout):
            connection.command(sql)
        connection.insert(
            f"`{layout.database}`.`schema_migrations`", [[path.name]], columns=["name"]
        )
        ran.append(path.name)
    return ran
