"""Talking to ClickHouse: one clickhouse-connect client, over HTTP or in-process (chDB).

The two differ only in how a statement reaches the engine: `http(s)://` sends it to a server,
`chdb:///data/dir` runs it in this process. Everything above this module is the same SQL.
"""

import math
import re
import threading
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

from logstore.storage.port import StoreUnavailable

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
DEFAULT_DATABASE = "logstore"


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str = ""
    port: int | None = None
    username: str = "default"
    password: str = ""
    path: str = ""  # chDB's data directory
    database: str = DEFAULT_DATABASE


def parse_url(url: str) -> Target:
    """`http[s]://user:pass@host:port/database` or `chdb:///data/dir?database=name`."""
    parts = urlsplit(url)
    if parts.scheme == "chdb":
        database = parse_qs(parts.query).get("database", [DEFAULT_DATABASE])[0]
        target = Target("chdb", path=unquote(parts.path), database=database)
        if not target.path:
            raise ImproperlyConfigured("CLICKHOUSE_URL chdb:// needs a data directory path")
    elif parts.scheme in {"http", "https"}:
        target = Target(
            parts.scheme,
            host=parts.hostname or "localhost",
            port=parts.port,
            username=unquote(parts.username or "default"),
            password=unquote(parts.password or ""),
            database=parts.path.strip("/") or DEFAULT_DATABASE,
        )
    else:
        raise ImproperlyConfigured(f"CLICKHOUSE_URL has an unsupported scheme: {parts.scheme!r}")
    if not IDENTIFIER.fullmatch(target.database):
        raise ImproperlyConfigured(f"CLICKHOUSE_URL names an invalid database {target.database!r}")
    return target


class Connection:
    """A client per thread over HTTP; one shared, locked client for chDB (one per process)."""

    def __init__(self, target: Target):
        self.target = target
        self._local = threading.local()
        self._shared = None
        # chDB is one engine per process: its threads take turns. HTTP clients run in parallel.
        self._guard = threading.RLock() if target.scheme == "chdb" else nullcontext()

    def _client(self, timeout: float | None = None):
        """This thread's client; with `timeout`, a separate one that gives up after that many
        seconds (the probe's), so a black-holed server cannot hang a readiness check."""
        import clickhouse_connect

        target = self.target
        if target.scheme == "chdb":
            if self._shared is None:
                self._shared = clickhouse_connect.get_client(interface="chdb", path=target.path)
            return self._shared
        name = "client" if timeout is None else "probe"
        client = getattr(self._local, name, None)
        if client is None:
            limits = {}
            if timeout is not None:
                seconds = max(1, math.ceil(timeout))
                limits = {"connect_timeout": seconds, "send_receive_timeout": seconds}
            client = clickhouse_connect.get_client(
                interface=target.scheme,
                host=target.host,
                port=target.port or (8443 if target.scheme == "https" else 8123),
                username=target.username,
                password=target.password,
                # Server-side `{name:Type}` parameters only, never client-side formatting.
                autogenerate_session_id=False,
                **limits,
            )
            setattr(self._local, name, client)
        return client

    @contextmanager
    def _reached(self):
        """A refused, lost or timed-out connection raises StoreUnavailable, which every caller
        answers with 503; errors of the statement itself stay the driver's."""
        from clickhouse_connect.driver.exceptions import OperationalError

        with self._guard:
            try:
                yield
            except OperationalError as exc:
                raise StoreUnavailable("clickhouse", str(exc)) from exc

    def query(self, sql: str, parameters: dict | None = None, settings: dict | None = None):
        """(column names, rows as tuples) of a SELECT."""
        with self._reached():
            result = self._client().query(sql, parameters=parameters or {}, settings=settings)
            return result.column_names, result.result_rows

    def command(self, sql: str, parameters: dict | None = None, settings: dict | None = None):
        with self._reached():
            return self._client().command(sql, parameters=parameters or {}, settings=settings)

    def insert(self, table: str, rows: list, columns, settings: dict | None = None):
        with self._reached():
            self._client().insert(table, rows, column_names=list(columns), settings=settings)

    def ping(self, timeout: float):
        """`SELECT 1` within `timeout` seconds, or StoreUnavailable."""
        with self._reached():
            self._client(timeout).query("SELECT 1")

    def close(self):
        if self._shared is not None:
            self._shared.close()
            self._shared = None
