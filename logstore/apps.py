from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_partitions(sender, using, **kwargs):
    from django.db import connections

    from logstore.storage.partitions import ensure_partitions

    ensure_partitions(using=connections[using])


def _migrate_clickhouse(sender, **kwargs):
    """`migrate` also brings the ClickHouse schema up to date when CLICKHOUSE_URL is set."""
    from logstore.storage import get_store

    store = get_store()
    if not store.transactional:
        store.migrate()


class LogstoreConfig(AppConfig):
    name = "logstore"
    verbose_name = "Log store"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from logstore import checks  # noqa: F401 (registers the checks)
        from logstore.pricing import overrides  # noqa: F401 (forgets cached prices on change)

        post_migrate.connect(_ensure_partitions, sender=self, dispatch_uid="logstore-partitions")
        post_migrate.connect(_migrate_clickhouse, sender=self, dispatch_uid="logstore-clickhouse")
