"""The ClickHouse log store: connection, schema migrations, criteria compiler and the store."""

from logstore.storage.clickhouse.store import ClickHouseLogStore

__all__ = ["ClickHouseLogStore"]
