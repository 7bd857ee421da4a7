"""The storage port for log rows: the one interface every surface reads and writes logs through.

A surface never builds a query over the log table itself. It cleans its parameters with
`LogFilter`, turns them into one `LogCriteria` (a plain, backend-neutral value), and asks the
configured `LogStore` ("the newest 50 logs matching C", "this trace's spans", "per-hour
counts"). Each backend compiles the criteria in its own dialect: `storage.orm` to a Django `Q`,
`storage.clickhouse` to parameterised ClickHouse SQL. Rows come back as (unsaved) `Log`
instances, so templates, presenters and exports read them the same way from either.
"""

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from logstore.models import BODY_FIELDS, Log
from logstore.query.keyset import Page
from logstore.query.series import MAX_GROUPS, BreakdownRow, GroupTotals, Series

# (low, high) bounds a criteria can put on these integer columns, both inclusive.
RANGE_COLUMNS = ("latency_ms", "total_tokens", "prompt_tokens", "completion_tokens", "cost_usd")
# Exact-match text columns a criteria can test for equality.
EQUALITY_COLUMNS = ("user", "organization", "environment", "provider", "model")
# Columns the admin's exact search may name (`trace:…`, `user:…`); "id" is the log id.
# "search_text" takes a folded term and matches it as `text` does: a bare admin search
# matches an exact column or the text.
SEARCH_COLUMNS = ("trace_id", "span_id", "id", "user", "organization", "search_text")
# Text columns a criteria can match case-insensitively by substring (`model_contains=`, …).
CONTAINS_COLUMNS = ("model", "user", "url", "span_name")
BREAKDOWN_DIMENSIONS = ("model", "user", "provider", "environment", "organization", "status")


@dataclass(frozen=True)
class LogCriteria:
    """Which logs: every condition set here must hold (AND); unset ones do not filter.

    `workspace_ids` is the caller's scope: None means every workspace (a superuser's view),
    an empty tuple means nothing. `start` is inclusive, `end` exclusive.
    """

    workspace_ids: tuple[int, ...] | None = ()
    start: datetime | None = None
    end: datetime | None = None
    ids: tuple[UUID, ...] = ()
    trace_ids: tuple[str, ...] = ()
    span_ids: tuple[str, ...] = ()
    # column name -> exact value, for EQUALITY_COLUMNS
    equals: tuple[tuple[str, str], ...] = ()
    statuses: tuple[int, ...] = ()
    # (low, high) status ranges, high exclusive: 4xx is (400, 500); any of them matches
    status_ranges: tuple[tuple[int, int], ...] = ()
    success: bool | None = None
    streaming: bool | None = None
    # True: only logs with a price (cost_usd set); False: only those without
    priced: bool | None = None
    # (column, low, high) for RANGE_COLUMNS; None leaves that side open
    ranges: tuple[tuple[str, float | None, float | None], ...] = ()
    # (provider, model) pairs; any of them matches
    provider_models: tuple[tuple[str, str], ...] = ()
    # (key, value) pairs the metadata must all hold, compared as text
    metadata: tuple[tuple[str, str], ...] = ()
    # the trace's weighted feedback, sum(value*weight)/sum(weight), within [min, max]
    feedback_min: float | None = None
    feedback_max: float | None = None
    # folded text (logstore.ingestion.searchtext.fold) the log's search_text must contain
    text: str = ""
    # (column, text) pairs for CONTAINS_COLUMNS, each a case-insensitive substring match
    contains: tuple[tuple[str, str], ...] = ()
    # (column, value) pairs of which at least one must hold: the admin's exact search
    any_of: tuple[tuple[str, object], ...] = ()
    # True when the caller already knows nothing can match (a bad filter, a foreign workspace)
    nothing: bool = False

    def narrowed(self, **changes) -> "LogCriteria":
        return replace(self, **changes)

    @property
    def matches_nothing(self) -> bool:
        if self.nothing or self.workspace_ids == ():
            return True
        # One key cannot hold two different values.
        keys = {}
        return any(keys.setdefault(key, value) != value for key, value in self.metadata)

    @property
    def whole_workspaces(self) -> bool:
        """True when only the workspaces and a time range narrow the logs: what summaries kept
        per workspace (the ORM's hourly chart rollups) can answer."""
        plain = replace(self, workspace_ids=(), start=None, end=None)
        return not self.matches_nothing and plain == LogCriteria()


def log_columns() -> tuple[str, ...]:
    """Every column of a log row, in order: the `Log` model's fields are the one list.

    A backend reads and writes exactly these; adding a field to `Log` (and a migration per
    backend) adds it everywhere. See docs/clickhouse.md, "Adding a column".
    """
    return tuple(field.attname for field in Log._meta.concrete_fields)


def without_bodies(*keep) -> tuple[str, ...]:
    """Every column but the bodies (`BODY_FIELDS`), plus `keep`: what lists and traces read."""
    return tuple(name for name in log_columns() if name not in BODY_FIELDS or name in keep)


class StoreUnavailable(Exception):
    """The log backend cannot be reached (refused, lost, timed out): the caller answers 503.

    Only a backend outside the Django database raises it; the ORM's errors are Django's own."""

    def __init__(self, dependency: str, message: str):
        super().__init__(message)
        self.dependency = dependency


@dataclass
class PruneResult:
    # names of whole partitions dropped (or, in a dry run, that would be)
    dropped_partitions: list[str] = field(default_factory=list)
    # workspace id -> rows deleted in bounded batches (or that would be; capped in a dry run)
    deleted: dict[int, int] = field(default_factory=dict)


class LogStore(ABC):
    """What the domain may ask of a log backend. See docs/clickhouse.md for the contract."""

    # True when `insert` can join the caller's Django transaction (the ORM); False when the
    # rows go to another system and idempotency must come from `dedup_token` instead.
    transactional: bool = True
    name: str = ""

    @abstractmethod
    def insert(
        self,
        workspace_id: int,
        api_key_id: int | None,
        ids: Sequence[UUID],
        logs: Sequence,
        *,
        dedup_token: str = "",
    ) -> None:
        """Store the batch in one statement, all rows or none. `logs` are NormalizedLogs.

        `dedup_token` names the batch: a second insert with the same token stores nothing
        (backends without a transaction honour it; the ORM relies on its transaction).
        """

    @abstractmethod
    def short_term_rows(self) -> int | None:
        """How many of the window's newest rows a `q=` term too short for an index
        (search.MIN_INDEXED_CHARS) looks at; None when it searches the whole window."""

    @abstractmethod
    def ping(self, timeout: float) -> None:
        """Raise unless the backend answers `SELECT 1` within `timeout` seconds: the
        readiness probe (StoreUnavailable from a backend outside the Django database)."""

    @abstractmethod
    def get(self, log_id: UUID, workspace_ids=None, *, with_workspace=False):
        """The log with this id within `workspace_ids` (None: any), or None."""

    @abstractmethod
    def page(
        self,
        criteria: LogCriteria,
        *,
        after: str | None = None,
        before: str | None = None,
        size: int | None = None,
        columns: Sequence[str] | None = None,
        with_workspace: bool = False,
        sort: str = "time",
    ) -> Page:
        """One keyset page of `size` (default keyset.PAGE_SIZE), in the `sort` order
        (keyset.SORTS: newest first, or largest value first with missing values last); never counts.

        Rows carry `columns` (None: all; id, created_at and workspace_id always)."""

    @abstractmethod
    def newer(
        self,
        criteria: LogCriteria,
        created_at: datetime,
        log_id: UUID,
        *,
        limit: int,
        columns: Sequence[str] | None = None,
    ) -> list:
        """Live tail: up to `limit` matching rows after (created_at, log_id), newest first;
        when more arrived, the oldest of them (the ones right after the cursor)."""

    @abstractmethod
    def chunks(
        self,
        criteria: LogCriteria,
        *,
        size: int = 500,
        after=None,
        columns: Sequence[str] | None = None,
        with_workspace: bool = False,
    ) -> Iterator[list]:
        """Every matching log, newest first, `size` at a time by keyset; `after` is a row to
        continue after. `columns` (None: all) limits what is read; id and created_at always."""

    @abstractmethod
    def count_upto(self, criteria: LogCriteria, limit: int) -> int:
        """min(matching rows, limit): reads at most `limit` rows, never the whole table."""

    @abstractmethod
    def trace(self, trace_id: str, workspace_ids=None, *, limit: int) -> list:
        """Up to `limit` spans of a trace, oldest first, without bodies, workspaces attached."""

    @abstractmethod
    def first_span(self, workspace_id: int, trace_id: str, span_id: str) -> UUID | None:
        """The id of the earliest log of this span in the trace, for "parent span" links."""

    @abstractmethod
    def recent_values(self, criteria: LogCriteria, columns: Sequence[str], limit: int) -> list:
        """`columns` of the newest `limit` matching rows, as tuples: suggestion lists."""

    @abstractmethod
    def timeseries(self, criteria: LogCriteria, start: datetime, end: datetime) -> Series:
        """Requests, errors, tokens and latency percentiles per bucket over [start, end)."""

    @abstractmethod
    def breakdown(
        self,
        criteria: LogCriteria,
        start,
        end,
        dimension: str,
        key: str = "",
        limit: int = 10,
        order: str = "requests",
    ) -> list[BreakdownRow]:
        """Top `limit` values of a dimension (or metadata `key`) over [start, end), ranked by
        requests or by cost (`order`)."""

    @abstractmethod
    def groups(
        self,
        criteria: LogCriteria,
        start: datetime,
        end: datetime,
        *,
        key: str = "",
        sort: str = "cost",
        descending: bool = True,
        limit: int = MAX_GROUPS,
    ) -> GroupTotals:
        """Per user (or per value of metadata `key`, None where a log lacks it) over
        [start, end), clamped as the charts are: requests, errors, tokens, cost (exact; None
        when no call has a price), unpriced calls, p95 latency and the last call. The top
        `limit` by `sort` (series.GROUP_SORTS; missing values last either way, ties by
        value), and whether more groups matched."""

    @abstractmethod
    def oldest(self, criteria: LogCriteria) -> datetime | None:
        """When the oldest matching log was made, or None when none matches."""

    @abstractmethod
    def update_costs(self, batches: Iterable[Sequence]) -> None:
        """Write `cost_usd`, `price_source` and `price_ref` of stored logs, a batch at a time
        as `batches` yields them (rows read with `chunks`, so each carries its id, created_at
        and workspace_id); nothing else of a row changes. After the last batch (or a failure),
        what the store derives from costs is brought up to date. The one write of a stored
        row: a cost depends on prices, which change after the fact."""

    @abstractmethod
    def prune(
        self,
        cutoffs: dict[int, datetime | None],
        *,
        dry_run: bool,
        batch_size: int,
        count_cap: int,
        progress: Callable[[str], None],
    ) -> PruneResult:
        """Remove each workspace's logs older than its cutoff (None keeps them): whole
        partitions where no workspace keeps any row, bounded deletes for the rest."""

    @abstractmethod
    def delete(self, ids: Sequence[UUID], workspace_ids=None) -> None:
        """Remove the logs with these ids within `workspace_ids` (None: any): the admin's
        delete. Gone from every read once this returns."""

    @abstractmethod
    def count_by_day(self, workspace_ids=None) -> dict:
        """{date: rows} over the whole store: what `copy_logs_to_clickhouse` verifies."""
