"""The log store on the Django database (SQLite, or partitioned PostgreSQL).

`criteria_q` compiles a `LogCriteria` into one `Q`; every query below starts from it. The
write path, the chart aggregates and the retention deletes are the ones this project used
before the storage port existed; charts of whole workspaces read the hourly rollups for whole
hours (storage.orm_rollups).
"""

from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cache
from operator import attrgetter

from django.db import connection, transaction
from django.db.models import (
    Aggregate,
    BooleanField,
    CharField,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    Max,
    Min,
    OuterRef,
    Q,
    Sum,
    TextField,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, NullIf, TruncDate, TruncDay, TruncHour, TruncMinute

from logstore.core.jsoncodec import dumps
from logstore.ingestion.normalize import NormalizedLog
from logstore.models import Feedback, Log
from logstore.query import keyset, rollups, search
from logstore.query.keyset import (
    Page,
    decode_cursor,
    iter_chunks,
    keyset_page,
    newer_than,
    older_than,
    page_of,
    sorted_page,
)
from logstore.query.search import index_for_search, purge_search_index, search_q
from logstore.query.series import (
    BREAKDOWN_LIMIT,
    GROUP_SORTS,
    MAX_GROUPS,
    GroupTotals,
    breakdown_rows,
    bucket_step,
    clamp_window,
    fill_series,
    floor_to_step,
    group_totals,
    percentile,
)
from logstore.storage import orm_rollups
from logstore.storage.partitions import (
    day_of_partition,
    drop_partition,
    existing_partitions,
    is_partitioned,
    partition_bounds,
)
from logstore.storage.port import LogCriteria, LogStore, PruneResult

# Below this many rows a multi-row INSERT (one round trip) beats COPY (two).
COPY_MIN_ROWS = 10
SQLITE_PERCENTILE_SAMPLE = 20_000
# What `update_costs` writes: the one derived part of a log that may change after it is stored.
COST_COLUMNS = ("cost_usd", "price_source", "price_ref")
BREAKDOWN_FIELDS = {
    "model": "model",
    "user": "user",
    "provider": "provider",
    "environment": "environment",
    "organization": "organization",
    "status": "status",
}


# --- Criteria to Q ----------------------------------------------------------------------------


def criteria_q(criteria: LogCriteria) -> Q:
    """Every condition of `criteria` as one Q over Log (check `matches_nothing` first)."""
    q = _conditions_q(criteria)
    within = q
    if criteria.text:
        # Last: a short term is bounded by the newest rows the other conditions match.
        q &= search_q(within, criteria.text)
    if criteria.any_of:
        either = Q()
        for column, value in criteria.any_of:
            if column == "search_text":
                either |= search_q(within, value)
            else:
                either |= Q(**{column: value})
        q &= either
    return q


def _conditions_q(criteria: LogCriteria) -> Q:
    q = Q()
    if criteria.workspace_ids is not None:
        q &= Q(workspace_id__in=criteria.workspace_ids)
    if criteria.start is not None:
        q &= Q(created_at__gte=criteria.start)
    if criteria.end is not None:
        q &= Q(created_at__lt=criteria.end)
    if criteria.ids:
        q &= Q(id__in=criteria.ids)
    if criteria.trace_ids:
        q &= Q(trace_id__in=criteria.trace_ids)
    if criteria.span_ids:
        q &= Q(span_id__in=criteria.span_ids)
    for column, value in criteria.equals:
        q &= Q(**{column: value})
    if criteria.statuses:
        q &= Q(status__in=criteria.statuses)
    if criteria.status_ranges:
        either = Q()
        for low, high in criteria.status_ranges:
            either |= Q(status__gte=low, status__lt=high)
        q &= either
    if criteria.success is not None:
        q &= Q(is_success=criteria.success)
    if criteria.streaming is not None:
        q &= Q(streaming=criteria.streaming)
    if criteria.priced is not None:
        q &= Q(cost_usd__isnull=not criteria.priced)
    for column, low, high in criteria.ranges:
        if low is not None:
            q &= Q(**{f"{column}__gte": low})
        if high is not None:
            q &= Q(**{f"{column}__lte": high})
    if criteria.provider_models:
        either = Q()
        for provider, model in criteria.provider_models:
            either |= Q(provider=provider, model=model)
        q &= either
    if criteria.metadata:
        q &= metadata_q(criteria.metadata)
    if criteria.feedback_min is not None or criteria.feedback_max is not None:
        q &= weighted_feedback_q(criteria.feedback_min, criteria.feedback_max)
    for column, text in criteria.contains:
        q &= Q(**{f"{column}__icontains": text})
    return q


def weighted_feedback_scores(low=None, high=None):
    """(workspace_id, trace_id) of traces whose weighted feedback lies in [low, high]."""
    scores = (
        Feedback.objects.values("workspace_id", "trace_id")
        .annotate(
            score=Sum(F("value") * F("weight"), output_field=FloatField())
            / NullIf(Sum("weight"), 0.0, output_field=FloatField())
        )
        .filter(score__isnull=False)
    )
    if low is not None:
        scores = scores.filter(score__gte=low)
    if high is not None:
        scores = scores.filter(score__lte=high)
    return scores


def weighted_feedback_q(low=None, high=None) -> Q:
    """Logs whose trace's weighted feedback, sum(value*weight)/sum(weight), is in range.

    The uncorrelated `trace_id IN (...)` lets PostgreSQL aggregate the feedback table once and
    join it to the trace index; the correlated EXISTS then keeps another workspace's feedback
    for the same trace id from matching.
    """
    scores = weighted_feedback_scores(low, high)
    same_trace = scores.filter(workspace_id=OuterRef("workspace_id"), trace_id=OuterRef("trace_id"))
    return Q(trace_id__in=scores.values("trace_id")) & Q(Exists(same_trace))


def metadata_q(pairs) -> Q:
    """Metadata holding every (key, value) pair, comparing the value's text form.

    PostgreSQL answers one `@>` containment from the GIN index on metadata_index; other
    SQLite looks each pair up among the row's keys.
    """
    if connection.vendor == "postgresql":
        return Q(metadata_index__contains=dict(pairs))
    column = f"{connection.ops.quote_name(Log._meta.db_table)}.metadata_index"
    condition = _SQLITE_METADATA_PAIR.format(column=column)
    q = Q()
    for key, value in pairs:
        q &= Q(RawSQL(condition, (key, value), output_field=BooleanField()))  # noqa: S611
    return q


# json_each compares the key as a name; a JSON path would read `0` as an array index and has
# no escape for `"`, so such keys never matched. Key and value are bound parameters.
_SQLITE_METADATA_PAIR = (
    "EXISTS (SELECT 1 FROM json_each({column}) AS m WHERE m.key = %s AND m.value = %s)"
)


# PostgreSQL estimates a jsonb containment from a hundred sampled values per partition, so for
# a pair or two it guesses anywhere from 0.01% to 1% of a partition, whatever the truth, and picks
# between the GIN bitmap (cost: every match, fetched and sorted) and walking the time index
# with a filter (cost: every row newer than the 51st match) on that guess. `metadata_page`
# decides from the data instead, in bounded steps:
# 1. walk the newest WALK_PAGES pages' worth of rows: if they hold the page, done (the pairs
#    match at least one row in WALK_PAGES, as most pairs do);
# 2. else the walk measured how often they match: the bitmap over a time window before the
#    walk sized to hold the rest of the page twice over at that rate (but from one to WIDEN
#    walks' spans), widened WIDEN times over until it does, and the whole bitmap last. A
#    bitmap then fetches about twice the page's rows, not every match of every partition;
#    pairs too rare to show in the walk have few matches for any window to fetch, and
#    the last of WINDOWS windows reaches back WIDEN**4 to WIDEN**5 walks (11 to 91 days at
#    a walk of 4 minutes' rows).
WALK_PAGES = 20
WIDEN = 8
WINDOWS = 5
_SCANS = ("enable_seqscan", "enable_indexscan", "enable_bitmapscan")
_SCANS_ON = {"bitmap": ("off", "off", "on"), "index": ("off", "on", "off")}


@contextmanager
def planner_scans():
    """`use(kind)` inside plans the following queries with only bitmap scans ("bitmap") or
    only index scans ("index"); the settings are as they were after the block."""
    nested = connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        saved = None
        if nested:
            # Inside a caller's transaction a local setting would outlive this block: restored
            # by hand below (a failure rolls back to the savepoint, which restores them too).
            cursor.execute("SELECT " + ", ".join(f"current_setting('{n}')" for n in _SCANS))
            saved = cursor.fetchone()
        assign = "SELECT " + ", ".join(f"set_config('{name}', %s, true)" for name in _SCANS)

        def use(kind):
            cursor.execute(assign, _SCANS_ON[kind])

        yield use
        if saved:
            cursor.execute(assign, saved)


def plans_metadata_page(criteria: LogCriteria) -> bool:
    """Whether `metadata_page` plans this criteria's newest-first pages: metadata pairs on
    PostgreSQL, and no text search (its trigram index needs a bitmap of its own)."""
    return (
        connection.vendor == "postgresql"
        and criteria.metadata
        and not criteria.text
        and not criteria.any_of
        and not criteria.matches_nothing
    )


def walk_budget(size: int) -> int:
    """The newest rows a walk of the time index may read for a page of `size`."""
    return WALK_PAGES * (size + 1)


def metadata_page(queryset, criteria: LogCriteria, *, after=None, before=None, size=None) -> Page:
    """`keyset_page(queryset, ...)` of a criteria `plans_metadata_page` takes, planned robustly."""
    size = size or keyset.PAGE_SIZE  # read when called, as keyset_page reads it
    with planner_scans() as use:
        scope = Log.objects.filter(criteria_q(replace(criteria, metadata=())))
        # Paging back (`before`) reads oldest first: the walk and the windows grow forward.
        if before:
            recent = newer_than(scope, *decode_cursor(before)).order_by("created_at", "id")
            edge, start, bound, direction = Max("created_at"), Min("created_at"), "lte", 1
        else:
            recent = scope.order_by("-created_at", "-id")
            recent = older_than(recent, *decode_cursor(after)) if after else recent
            edge, start, bound, direction = Min("created_at"), Max("created_at"), "gte", -1

        def page_to(limit=None):
            bounded = queryset.filter(**{f"created_at__{bound}": limit}) if limit else queryset
            return keyset_page(bounded, after=after, before=before, size=size)

        def holds_page(page):
            return page.newer if before else page.older  # a row past the page was read

        use("index")
        budget = walk_budget(size)
        # The newest `budget` rows past the cursor, from the index alone: the page within them
        # is the page, if they hold one.
        window = recent.values("created_at")[:budget].aggregate(
            edge=edge, start=start, rows=Count("*")
        )
        if window["rows"] == 0:
            return page_of([], size, after=after, before=before)
        page = page_to(window["edge"])
        if holds_page(page) or window["rows"] < budget:
            return page  # the window is all there is, if it does not hold the page
        use("bitmap")
        # Rows within a window ending at the walk's edge hold the page once they hold one row
        # past it: every match outside is further from the cursor than all of them.
        found = max(len(page.rows), 0.5)
        walked = max(abs(window["edge"] - window["start"]), timedelta(milliseconds=1))
        # Between one and WIDEN walks' spans: matches come in bursts (a trace's spans share
        # their metadata), so a walk that found nearly the page, or next to nothing, says
        # little about the rows before it; a window too wide fetches every match inside it.
        reach = min(max(walked * 2 * (size + 1 - len(page.rows)) / found, walked), walked * WIDEN)
        for _ in range(WINDOWS):
            try:
                limit = window["edge"] + direction * reach
            except OverflowError:
                break  # past the first or last representable time: the whole bitmap
            page = page_to(limit)
            if holds_page(page):
                return page
            reach *= WIDEN
        return page_to()


# --- Writing: one COPY or INSERT per batch ----------------------------------------------------

# Columns whose value is JSON text on the wire: serialised once per row, by orjson.
_JSON_COLUMNS = frozenset({"request", "response", "metadata", "metadata_index"})


@cache
def row_plan():
    """(quoted column names, per-column getter) for Log, computed once per process.

    A getter takes (log_id, workspace_id, api_key_id, normalized_log) and returns the value
    COPY writes: no model instance, no per-field get_db_prep_save, no per-row name tests.
    """
    names, getters = [], []
    for field in Log._meta.concrete_fields:
        names.append(field.column)
        name = field.attname
        if name == "id":
            getters.append(lambda log_id, ws, key, log: log_id)
        elif name == "workspace_id":
            getters.append(lambda log_id, ws, key, log: ws)
        elif name == "api_key_id":
            getters.append(lambda log_id, ws, key, log: key)
        elif name in _JSON_COLUMNS:
            get = attrgetter(name)
            getters.append(lambda log_id, ws, key, log, get=get: _json_or_none(get(log)))
        else:
            get = attrgetter(name)
            getters.append(lambda log_id, ws, key, log, get=get: get(log))
    return tuple(names), tuple(getters)


def _json_or_none(value):
    return None if value is None else dumps(value)


def log_rows(workspace_id, api_key_id, ids, logs: Sequence[NormalizedLog]):
    """Rows in Log's concrete-field order, as COPY (or executemany) takes them."""
    _, getters = row_plan()
    for log_id, log in zip(ids, logs, strict=True):
        yield [get(log_id, workspace_id, api_key_id, log) for get in getters]


def copy_rows(cursor, table, rows):
    """COPY `rows` (in Log's column order) into `table`; psycopg adapts them in C."""
    names, _ = row_plan()
    quoted = ", ".join(connection.ops.quote_name(n) for n in names)
    with cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def write_logs(workspace_id, api_key_id, ids, logs: Sequence[NormalizedLog]):
    """Insert rows with one statement on PostgreSQL (COPY, or INSERT for a few rows), one
    executemany elsewhere."""
    table = Log._meta.db_table
    rows = log_rows(workspace_id, api_key_id, ids, logs)
    names, _ = row_plan()
    quoted = ", ".join(connection.ops.quote_name(n) for n in names)
    placeholders = "(" + ", ".join(["%s"] * len(names)) + ")"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            if len(logs) >= COPY_MIN_ROWS:
                copy_rows(cursor.cursor, table, rows)
                return
            rows = list(rows)
            cursor.execute(
                f"INSERT INTO {table} ({quoted}) VALUES "  # noqa: S608
                + ", ".join([placeholders] * len(rows)),
                [value for row in rows for value in row],
            )
        return
    # Other databases need Django's adaptation (UUIDs, datetimes), done per column type.
    prepare = [None if f.attname in _JSON_COLUMNS else f for f in Log._meta.concrete_fields]
    params = []
    for row in rows:
        for i, field in enumerate(prepare):
            if field is not None:
                row[i] = field.get_db_prep_save(row[i], connection)
        params.append(row)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({quoted}) VALUES {placeholders}",  # noqa: S608
            params,
        )
        if connection.vendor == "sqlite":
            index_for_search(cursor, ids, [log.search_text for log in logs])


# --- Charts -----------------------------------------------------------------------------------


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate: the interpolated `fraction` percentile."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction, **extra):
        # Interpolated into SQL, so only ever a float from our own code.
        super().__init__(expression, fraction=float(fraction), **extra)


TRUNC_FOR_STEP = {
    timedelta(minutes=1): TruncMinute,
    timedelta(hours=1): TruncHour,
    timedelta(days=1): TruncDay,
}
SQLITE_BUCKET_FORMATS = {
    timedelta(minutes=1): "%Y-%m-%d %H:%M:00",
    timedelta(hours=1): "%Y-%m-%d %H:00:00",
    timedelta(days=1): "%Y-%m-%d 00:00:00",
}


def _bucket_expression(step):
    if connection.vendor == "sqlite":
        # Django's Trunc calls back into Python for every row on SQLite (1.9 s for 100k rows);
        # the built-in strftime does the same on UTC text in a tenth of that.
        return Func(
            Value(SQLITE_BUCKET_FORMATS[step]),
            F("created_at"),
            function="strftime",
            output_field=CharField(),
        )
    return TRUNC_FOR_STEP[step]("created_at", tzinfo=UTC)


def _bucket_start(value) -> datetime:
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value


def timeseries(queryset, start: datetime, end: datetime):
    start, end, clamped = clamp_window(start, end)
    step = bucket_step(end - start)
    rows = queryset.filter(created_at__gte=start, created_at__lt=end).order_by()
    aggregates = rollups.call_sums()
    postgres = connection.vendor == "postgresql"
    if postgres:
        aggregates["p50"] = PercentileCont("latency_ms", 0.5)
        aggregates["p95"] = PercentileCont("latency_ms", 0.95)
    grouped = (
        rows.annotate(bucket=_bucket_expression(step))
        .values("bucket")
        .annotate(**aggregates)
        .order_by("bucket")
    )
    found = {floor_to_step(_bucket_start(row["bucket"]), step): row for row in grouped}
    sampled = False
    if not postgres:
        percentiles, sampled = _sampled_percentiles(rows, step)
        for key, (p50, p95) in percentiles.items():
            if key in found:
                found[key]["p50"], found[key]["p95"] = p50, p95
    return fill_series(found, start, end, step, clamped, sampled)


def _sampled_percentiles(rows, step):
    latencies = rows.filter(latency_ms__isnull=False).order_by("-created_at", "-id")
    sample = list(latencies.values_list("created_at", "latency_ms")[: SQLITE_PERCENTILE_SAMPLE + 1])
    sampled = len(sample) > SQLITE_PERCENTILE_SAMPLE
    by_bucket = {}
    for created_at, latency in sample[:SQLITE_PERCENTILE_SAMPLE]:
        by_bucket.setdefault(floor_to_step(created_at, step), []).append(latency)
    return {
        key: (percentile(values, 0.5), percentile(values, 0.95))
        for key, values in by_bucket.items()
    }, sampled


def breakdown(queryset, start, end, dimension, key="", limit=BREAKDOWN_LIMIT, order="requests"):
    """Top `limit` values of a column (or of metadata `key`) by request count or by cost."""
    start, end, _ = clamp_window(start, end)
    rows = queryset.filter(created_at__gte=start, created_at__lt=end).order_by()
    if dimension == "metadata":
        rows = rows.annotate(dim=Cast(KeyTextTransform(key, "metadata_index"), TextField()))
        column = "dim"
    else:
        column = BREAKDOWN_FIELDS[dimension]
    ranking = (
        ("-requests", column) if order != "cost" else (F("cost").desc(nulls_last=True), column)
    )
    grouped = (
        rows.values(column)
        .annotate(
            requests=Count("pk"),
            errors=Count("pk", filter=Q(is_success=False)),
            tokens=Sum("total_tokens"),
            cost=Sum("cost_usd"),
        )
        .order_by(*ranking)[:limit]
    )
    return breakdown_rows([{**row, "value": row[column]} for row in grouped], order)


def groups(
    queryset, start, end, *, key="", sort="cost", descending=True, limit=MAX_GROUPS
) -> GroupTotals:
    """The top `limit` users (or values of metadata `key`) of `queryset` in [start, end).

    One query groups the window; PostgreSQL answers it from the covering index
    `log_ws_created_cover_idx` when grouping by user. SQLite has no percentile aggregate, so
    there p95 comes from the newest `SQLITE_PERCENTILE_SAMPLE` calls of the groups shown, as
    on the charts page.
    """
    start, end, clamped = clamp_window(start, end)
    sort = sort if sort in GROUP_SORTS else "cost"
    rows = queryset.filter(created_at__gte=start, created_at__lt=end).order_by()
    if key:
        rows = rows.annotate(value=Cast(KeyTextTransform(key, "metadata_index"), TextField()))
    else:
        rows = rows.annotate(value=F("user"))
    postgres = connection.vendor == "postgresql"
    aggregates = rollups.call_sums()
    if postgres:
        aggregates["p95"] = PercentileCont("latency_ms", 0.95)
    grouped = rows.values("value").annotate(**aggregates)
    in_sql = postgres or sort != "p95"
    if in_sql:
        ordering = F(sort)
        ordering = ordering.desc(nulls_last=True) if descending else ordering.asc(nulls_last=True)
        grouped = grouped.order_by(ordering, "value")
    found = list(grouped[: limit + 1] if in_sql else grouped)
    sampled = False
    if not postgres:
        sampled = _sample_p95(rows, found)
    if not in_sql:
        known = [row for row in found if row["p95"] is not None]
        known.sort(key=lambda row: row["p95"], reverse=descending)
        found = known + [row for row in found if row["p95"] is None]
    return group_totals(
        found,
        limit,
        sort=sort,
        descending=descending,
        window=(start, end, clamped),
        sampled=sampled,
    )


def _sample_p95(rows, found) -> bool:
    """Sets each found group's "p95" from its newest calls; True if the sample was cut."""
    values = [row["value"] for row in found]
    latencies = rows.filter(latency_ms__isnull=False)
    if len(values) <= MAX_GROUPS:
        named = Q(value__in=[v for v in values if v is not None])
        latencies = latencies.filter(named | Q(value__isnull=True) if None in values else named)
    sample = list(
        latencies.order_by("-created_at", "-id").values_list("value", "latency_ms")[
            : SQLITE_PERCENTILE_SAMPLE + 1
        ]
    )
    by_value = {}
    for value, latency in sample[:SQLITE_PERCENTILE_SAMPLE]:
        by_value.setdefault(value, []).append(latency)
    for row in found:
        row["p95"] = percentile(by_value.get(row["value"], []), 0.95)
    return len(sample) > SQLITE_PERCENTILE_SAMPLE


# --- Retention --------------------------------------------------------------------------------


def droppable_partitions(cutoffs: dict[int, datetime | None]) -> list[str]:
    """Daily partitions in which no row can still be within its workspace's retention.

    A row is kept while created_at >= its workspace's cutoff, and every row of a partition is
    older than its upper bound; so only workspaces whose cutoff is before that bound (or who
    keep forever) can hold rows that must stay, and one indexed probe per partition asks
    whether any of theirs is there. Rows of deleted workspaces keep nothing alive.
    """
    droppable = []
    for day, name in sorted(existing_partitions().items()):
        _, upper = partition_bounds(day)
        keepers = [pk for pk, cutoff in cutoffs.items() if cutoff is None or cutoff < upper]
        if len(keepers) == len(cutoffs):
            break  # later partitions are newer still: nothing there is expired everywhere
        if keepers:
            with connection.cursor() as cursor:
                # The (workspace_id, created_at, id) index answers this without a scan.
                cursor.execute(
                    f"SELECT EXISTS (SELECT 1 FROM {name} WHERE workspace_id = ANY(%s))",  # noqa: S608
                    [keepers],
                )
                if cursor.fetchone()[0]:
                    continue
        droppable.append(name)
    return droppable


def delete_in_batches(queryset, batch_size: int) -> int:
    """Delete `queryset` oldest first, `batch_size` rows per short transaction."""
    total = 0
    has_created_at = any(f.name == "created_at" for f in queryset.model._meta.concrete_fields)
    columns = ("pk", "created_at") if has_created_at else ("pk",)
    while True:
        with transaction.atomic():
            batch = list(queryset.order_by("created_at").values_list(*columns)[:batch_size])
            if not batch:
                return total
            victims = queryset.model.objects.filter(pk__in=[row[0] for row in batch])
            if has_created_at:
                # The time range lets PostgreSQL touch only the partitions these rows are in.
                victims = victims.filter(created_at__gte=batch[0][1], created_at__lte=batch[-1][1])
            deleted, _ = victims.delete()
            total += deleted
        if len(batch) < batch_size:
            return total


def _key_columns(columns, with_workspace):
    """`columns` and what every row needs: its keyset position and its workspace."""
    return {"id", "created_at", "workspace" if with_workspace else "workspace_id", *columns}


# --- The store --------------------------------------------------------------------------------


class OrmLogStore(LogStore):
    """Logs in the Django database's `logstore_log` table."""

    transactional = True
    name = "orm"

    def logs(self, criteria: LogCriteria, *, with_workspace=False):
        """The queryset of `criteria`, every column."""
        if criteria.matches_nothing:
            return Log.objects.none()
        queryset = Log.objects.filter(criteria_q(criteria))
        if with_workspace:
            queryset = queryset.select_related("workspace")
        return queryset

    def insert(self, workspace_id, api_key_id, ids, logs, *, dedup_token=""):
        write_logs(workspace_id, api_key_id, ids, logs)

    def short_term_rows(self):
        # Read at call time: the bound is one setting of logstore.query.search.
        return search.SHORT_TERM_ROWS

    def ping(self, timeout):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    def delete(self, ids, workspace_ids=None):
        queryset = Log.objects.filter(pk__in=list(ids))
        if workspace_ids is not None:
            queryset = queryset.filter(workspace_id__in=list(workspace_ids))
        queryset.delete()

    def get(self, log_id, workspace_ids=None, *, with_workspace=False):
        queryset = Log.objects.filter(pk=log_id)
        if workspace_ids is not None:
            queryset = queryset.filter(workspace_id__in=workspace_ids)
        if with_workspace:
            queryset = queryset.select_related("workspace", "api_key")
        return queryset.first()

    def page(
        self,
        criteria,
        *,
        after=None,
        before=None,
        size=None,
        columns=None,
        with_workspace=False,
        sort="time",
    ):
        queryset = self.logs(criteria, with_workspace=with_workspace)
        if columns is not None:
            queryset = queryset.only(*_key_columns(columns, with_workspace))
        if sort == "time" and plans_metadata_page(criteria):
            return metadata_page(queryset, criteria, after=after, before=before, size=size)
        return sorted_page(queryset, sort, after=after, before=before, size=size)

    def newer(self, criteria, created_at, log_id, *, limit, columns=None):
        queryset = self.logs(criteria)
        if columns is not None:
            queryset = queryset.only(*_key_columns(columns, False))
        oldest_first = newer_than(queryset, created_at, log_id).order_by("created_at", "id")
        return list(oldest_first[:limit])[::-1]

    def chunks(self, criteria, *, size=500, after=None, columns=None, with_workspace=False):
        queryset = self.logs(criteria, with_workspace=with_workspace)
        if columns is not None:
            queryset = queryset.only(*_key_columns(columns, with_workspace))
        return iter_chunks(queryset, size=size, after=after)

    def count_upto(self, criteria, limit):
        return self.logs(criteria).order_by().values("pk")[:limit].count()

    def trace(self, trace_id, workspace_ids=None, *, limit):
        queryset = Log.objects.filter(trace_id=trace_id)
        if workspace_ids is not None:
            queryset = queryset.filter(workspace_id__in=workspace_ids)
        return list(
            queryset.without_bodies()
            .select_related("workspace")
            .order_by("created_at", "id")[:limit]
        )

    def first_span(self, workspace_id, trace_id, span_id):
        return (
            Log.objects.filter(workspace_id=workspace_id, span_id=span_id, trace_id=trace_id)
            .order_by("created_at")
            .values_list("id", flat=True)
            .first()
        )

    def recent_values(self, criteria, columns, limit):
        queryset = self.logs(criteria).order_by("-created_at", "-id")
        return list(queryset.values_list(*columns)[:limit])

    def timeseries(self, criteria, start, end):
        logs = self.logs(criteria)
        rolled = orm_rollups.timeseries(logs, criteria, start, end)
        return rolled if rolled is not None else timeseries(logs, start, end)

    def breakdown(
        self, criteria, start, end, dimension, key="", limit=BREAKDOWN_LIMIT, order="requests"
    ):
        logs = self.logs(criteria)
        rolled = orm_rollups.breakdown(logs, criteria, start, end, dimension, limit, order)
        if rolled is not None:
            return rolled
        return breakdown(logs, start, end, dimension, key, limit, order)

    def groups(
        self, criteria, start, end, *, key="", sort="cost", descending=True, limit=MAX_GROUPS
    ):
        logs = self.logs(criteria)
        rolled = orm_rollups.groups(
            logs, criteria, start, end, key=key, sort=sort, descending=descending, limit=limit
        )
        if rolled is not None:
            return rolled
        return groups(
            logs,
            start,
            end,
            key=key,
            sort=sort,
            descending=descending,
            limit=limit,
        )

    def oldest(self, criteria):
        # One index lookup: the (workspace_id, created_at) index's first entry.
        return self.logs(criteria).aggregate(oldest=Min("created_at"))["oldest"]

    def update_costs(self, batches):
        changed_hours = set()
        try:
            for logs in batches:
                # The batch's time bounds let PostgreSQL touch only the partitions holding it.
                moments = [log.created_at for log in logs]
                window = Log.objects.filter(
                    created_at__gte=min(moments), created_at__lte=max(moments)
                )
                with transaction.atomic():
                    window.bulk_update(logs, COST_COLUMNS)
                changed_hours.update(
                    (log.workspace_id, rollups.floor_hour(log.created_at)) for log in logs
                )
        finally:
            # Once for the whole run, even one cut short: an hour spread over many batches is
            # re-aggregated once, and no written cost is left out of the charts.
            rollups.rebuild_hours(changed_hours)

    def prune(self, cutoffs, *, dry_run, batch_size, count_cap, progress):
        result = PruneResult()
        if any(cutoff is not None for cutoff in cutoffs.values()) and is_partitioned():
            for name in droppable_partitions(cutoffs):
                progress(f"{'would drop' if dry_run else 'dropping'} partition {name}")
                if not dry_run:
                    drop_partition(name)
                result.dropped_partitions.append(name)
        for workspace_id, cutoff in sorted(cutoffs.items()):
            if cutoff is None:
                continue
            expired = Log.objects.filter(workspace_id=workspace_id, created_at__lt=cutoff)
            if dry_run:
                # What the drops above would already have removed is not counted twice.
                for name in result.dropped_partitions:
                    lower, upper = partition_bounds(day_of_partition(name))
                    expired = expired.exclude(created_at__gte=lower, created_at__lt=upper)
                count = expired.order_by()[:count_cap].count()
            else:
                count = delete_in_batches(expired, batch_size)
            if count:
                result.deleted[workspace_id] = count
        if result.deleted and not dry_run:
            purge_search_index()
        return result

    def count_by_day(self, workspace_ids=None):
        queryset = Log.objects.all()
        if workspace_ids is not None:
            queryset = queryset.filter(workspace_id__in=workspace_ids)
        rows = (
            queryset.annotate(day=TruncDate("created_at", tzinfo=UTC))
            .values("day")
            .annotate(rows=Count("pk"))
            .order_by("day")
        )
        return {row["day"]: row["rows"] for row in rows}
