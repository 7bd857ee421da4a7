"""Where log rows live: the storage port, its ORM and ClickHouse backends, and retention.

`get_store()` is the one place that picks the backend, from `CLICKHOUSE_URL`.
"""

from functools import cache

from django.conf import settings

from logstore.storage.port import LogStore


def get_store() -> LogStore:
    """The configured log store: ClickHouse when CLICKHOUSE_URL is set, else the ORM."""
    return _store(settings.CLICKHOUSE_URL, settings.CLICKHOUSE_CLUSTER)


@cache
def _store(url: str, cluster: str) -> LogStore:
    if not url:
        from logstore.storage.orm import OrmLogStore

        return OrmLogStore()
    from logstore.storage.clickhouse import ClickHouseLogStore

    return ClickHouseLogStore.from_url(url, cluster=cluster)


def reset_store():
    """Forget the cached store (its connection), for tests that switch backends."""
    _store.cache_clear()
