"""The log store on ClickHouse: the port's every read and write as parameterised SQL.

Rows come back as unsaved `Log` instances built from the `Log` model's own field list, so a
column added to the model (and to a numbered .sql migration) is read and written here with
no edit. See docs/clickhouse.md.
"""

import math
import re
from datetime import UTC, datetime, timedelta
from functools import cached_property

import orjson

from logstore.core.fields import JSONTextField
from logstore.models import Log, Workspace
from logstore.query import keyset
from logstore.query.keyset import decode_cursor, encode_cursor
from logstore.query.series import (
    BREAKDOWN_LIMIT,
    GROUP_SORTS,
    MAX_GROUPS,
    breakdown_rows,
    bucket_step,
    clamp_window,
    fill_series,
    group_totals,
)
from logstore.storage.clickhouse.compiler import DATETIME, Parameters, quoted, timestamp, where
from logstore.storage.clickhouse.connection import Connection, parse_url
from logstore.storage.clickhouse.schema import Layout, migrate
from logstore.storage.orm import BREAKDOWN_FIELDS, _json_or_none, weighted_feedback_scores
from logstore.storage.port import (
    LogCriteria,
    LogStore,
    PruneResult,
    log_columns,
    without_bodies,
)

BUCKET_FUNCTIONS = {
    timedelta(minutes=1): "toStartOfMinute",
    timedelta(hours=1): "toStartOfHour",
    timedelta(days=1): "toStartOfDay",
}
PARTITION_ID = re.compile(r"\d{8}")
# The type a sort column's values are compared in (keyset.SORTS); counts are Int64.
SORT_VALUE_TYPES = {"cost_usd": "Decimal(22, 12)"}
NEWEST_FIRST = "ORDER BY created_at DESC, id DESC"
OLDEST_FIRST = "ORDER BY created_at ASC, id ASC"


def _utc(value):
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ClickHouseLogStore(LogStore):
    transactional = False
    name = "clickhouse"

    def __init__(self, connection: Connection, layout: Layout, insert_settings=None):
        self.connection = connection
        self.layout = layout
        self.insert_settings = insert_settings or {}

    @classmethod
    def from_url(cls, url: str, *, cluster: str = ""):
        target = parse_url(url)
        layout = Layout(target.database, cluster)
        # On a cluster, an acknowledged insert is on a majority of the shard's replicas, and
        # the Distributed table writes to the shards before answering instead of queueing.
        settings = {"insert_quorum": "auto", "distributed_foreground_insert": 1} if cluster else {}
        return cls(Connection(target), layout, settings)

    def ping(self, timeout):
        self.connection.ping(timeout)

    def short_term_rows(self):
        # No index serves any `q=` here (see compiler.text_match): a short term scans the
        # window as a long one does, with no row bound.
        return None

    def migrate(self, progress=lambda message: None):
        return migrate(self.connection, self.layout, progress)

    # --- rows in and out ------------------------------------------------------------------

    @cached_property
    def _fields(self):
        """The `Log` fields behind `log_columns()`, in the same order."""
        return tuple(Log._meta.concrete_fields)

    def _encode(self, name, field, value):
        if isinstance(field, JSONTextField):
            return _json_or_none(value)
        if name == "metadata_index":
            return {str(k): str(v) for k, v in (value or {}).items()}
        return value

    def _decode(self, columns, row):
        values = {}
        for name, value in zip(columns, row, strict=True):
            field = self._field_by_name[name]
            if value is not None and isinstance(field, JSONTextField):
                value = orjson.loads(value)
            elif isinstance(value, datetime):
                value = _utc(value)
            values[name] = value
        return Log(**values)

    @cached_property
    def _field_by_name(self):
        return dict(zip(log_columns(), self._fields, strict=True))

    def insert(self, workspace_id, api_key_id, ids, logs, *, dedup_token=""):
        names = log_columns()
        rows = []
        for log_id, log in zip(ids, logs, strict=True):
            row = []
            for name, field in zip(names, self._fields, strict=True):
                if name == "id":
                    value = log_id
                elif name == "workspace_id":
                    value = workspace_id
                elif name == "api_key_id":
                    value = api_key_id
                else:
                    value = self._encode(name, field, getattr(log, name))
                row.append(value)
            rows.append(row)
        settings = dict(self.insert_settings)
        if dedup_token:
            settings["insert_deduplication_token"] = dedup_token
        # One INSERT is one block, so the batch is one part: stored whole or not at all.
        self.connection.insert(self.layout.logs, rows, names, settings=settings)

    def insert_rows(self, logs, *, dedup_token=""):
        """Store existing `Log` instances as they are (ids and all): the copy command's path."""
        names = log_columns()
        rows = [
            [
                self._encode(name, field, getattr(log, name))
                for name, field in zip(names, self._fields, strict=True)
            ]
            for log in logs
        ]
        settings = dict(self.insert_settings)
        if dedup_token:
            settings["insert_deduplication_token"] = dedup_token
        self.connection.insert(self.layout.logs, rows, names, settings=settings)

    def _select(self, sql, params, *, with_workspace=False):
        columns, rows = self.connection.query(sql, params)
        logs = [self._decode(columns, row) for row in rows]
        if with_workspace:
            logs = attach_workspaces(logs)
        return logs

    def _columns(self, columns=None):
        names = log_columns()
        if columns is not None:
            wanted = {"id", "created_at", "workspace_id", *columns}
            names = [n for n in names if n in wanted]
        return ", ".join(quoted(n) for n in names)

    def _where(self, criteria, params):
        return where(criteria, params, feedback_traces=feedback_traces)

    # --- reads ----------------------------------------------------------------------------

    def get(self, log_id, workspace_ids=None, *, with_workspace=False):
        params = Parameters()
        log_id = params.add(str(log_id), "UUID")
        sql = f"SELECT {self._columns()} FROM {self.layout.logs} WHERE id = {log_id}"
        if workspace_ids is not None:
            sql += f" AND workspace_id IN {params.add(list(workspace_ids), 'Array(UInt64)')}"
        rows = self._select(sql + " LIMIT 1", params, with_workspace=with_workspace)
        return rows[0] if rows else None

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
        size = size or keyset.PAGE_SIZE
        column, _ = keyset.SORTS[sort]
        params = Parameters()
        conditions = [self._where(criteria, params)]
        cursor = before or after
        if column is None:
            key_sql = "(created_at, id)"
            if cursor:
                moment, log_id = decode_cursor(cursor)
                at = params.add(timestamp(moment), DATETIME)
                position = f"({at}, {params.add(str(log_id), 'UUID')})"
                # The plain bound on created_at is what the primary index can use.
                conditions.append(f"created_at {'>=' if before else '<='} {at}")
            encode = encode_cursor
        else:
            # As the ORM's sorted_page: a missing value sorts after every present one.
            value_type = SORT_VALUE_TYPES.get(column, "Int64")
            value = f"CAST({quoted(column)}, 'Nullable({value_type})')"
            key_sql = f"(ifNull({value}, -1), created_at, id)"
            if cursor:
                value, moment, log_id = keyset.decode_sort_cursor(cursor)
                position = (
                    f"({params.add(value, value_type)}, {params.add(timestamp(moment), DATETIME)}, "
                    f"{params.add(str(log_id), 'UUID')})"
                )
            columns = None if columns is None else (*columns, column)
            encode = keyset.encode_sort_cursor
        if cursor:
            conditions.append(f"{key_sql} {'>' if before else '<'} {position}")
        order = f"ORDER BY {key_sql} {'ASC' if before else 'DESC'}"
        sql = (
            f"SELECT {self._columns(columns)} FROM {self.layout.logs} "
            f"WHERE {' AND '.join(conditions)} {order} LIMIT {params.add(size + 1, 'UInt32')}"
        )
        rows = self._select(sql, params, with_workspace=with_workspace)
        if column is not None:
            for row in rows:
                value = getattr(row, column)
                setattr(row, keyset.SORT_KEY, -1 if value is None else value)
        return keyset.page_of(rows, size, after=after, before=before, encode=encode)

    def newer(self, criteria, created_at, log_id, *, limit, columns=None):
        params = Parameters()
        at = params.add(timestamp(created_at), DATETIME)
        key = params.add(str(log_id), "UUID")
        sql = (
            f"SELECT {self._columns(columns)} FROM {self.layout.logs} "
            f"WHERE {self._where(criteria, params)} "
            f"AND created_at >= {at} AND (created_at, id) > ({at}, {key}) "
            f"{OLDEST_FIRST} LIMIT {params.add(limit, 'UInt32')}"
        )
        return self._select(sql, params)[::-1]

    def chunks(self, criteria, *, size=500, after=None, columns=None, with_workspace=False):
        last = after
        while True:
            params = Parameters()
            conditions = [self._where(criteria, params)]
            if last is not None:
                at = params.add(timestamp(last.created_at), DATETIME)
                key = params.add(str(last.id), "UUID")
                conditions.append(f"created_at <= {at} AND (created_at, id) < ({at}, {key})")
            sql = (
                f"SELECT {self._columns(columns=columns)} FROM {self.layout.logs} "
                f"WHERE {' AND '.join(conditions)} {NEWEST_FIRST} "
                f"LIMIT {params.add(size, 'UInt32')}"
            )
            rows = self._select(sql, params, with_workspace=with_workspace)
            if not rows:
                return
            yield rows
            if len(rows) < size:
                return
            last = rows[-1]

    def count_upto(self, criteria, limit):
        params = Parameters()
        sql = (
            f"SELECT count() FROM (SELECT 1 FROM {self.layout.logs} "
            f"WHERE {self._where(criteria, params)} LIMIT {params.add(limit, 'UInt64')})"
        )
        _, rows = self.connection.query(sql, params)
        return rows[0][0]

    def trace(self, trace_id, workspace_ids=None, *, limit):
        criteria = LogCriteria(
            workspace_ids=None if workspace_ids is None else tuple(workspace_ids),
            trace_ids=(trace_id,),
        )
        params = Parameters()
        sql = (
            f"SELECT {self._columns(without_bodies())} FROM {self.layout.logs} "
            f"WHERE {self._where(criteria, params)} {OLDEST_FIRST} "
            f"LIMIT {params.add(limit, 'UInt32')}"
        )
        return self._select(sql, params, with_workspace=True)

    def first_span(self, workspace_id, trace_id, span_id):
        params = Parameters()
        sql = (
            f"SELECT id FROM {self.layout.logs} "
            f"WHERE workspace_id = {params.add(workspace_id, 'UInt64')} "
            f"AND trace_id = {params.add(trace_id, 'String')} "
            f"AND span_id = {params.add(span_id, 'String')} {OLDEST_FIRST} LIMIT 1"
        )
        _, rows = self.connection.query(sql, params)
        return rows[0][0] if rows else None

    def recent_values(self, criteria, columns, limit):
        params = Parameters()
        sql = (
            f"SELECT {', '.join(quoted(c) for c in columns if c in log_columns())} "
            f"FROM {self.layout.logs} WHERE {self._where(criteria, params)} {NEWEST_FIRST} "
            f"LIMIT {params.add(limit, 'UInt32')}"
        )
        _, rows = self.connection.query(sql, params)
        return [tuple(row) for row in rows]

    def timeseries(self, criteria, start, end):
        start, end, clamped = clamp_window(start, end)
        step = bucket_step(end - start)
        params = Parameters()
        window = criteria.narrowed(
            start=max(start, criteria.start) if criteria.start else start,
            end=min(end, criteria.end) if criteria.end else end,
        )
        # quantilesExactInclusive interpolates between closest ranks, as PostgreSQL's
        # percentile_cont does, so the two backends draw the same latency lines.
        sql = (
            f"SELECT {BUCKET_FUNCTIONS[step]}(created_at) AS bucket, count() AS requests, "
            "countIf(NOT is_success) AS errors, sum(total_tokens) AS tokens, "
            "quantilesExactInclusive(0.5, 0.95)(latency_ms) AS latency, sum(cost_usd) AS cost, "
            "countIf(cost_usd IS NULL AND total_tokens IS NOT NULL) AS unpriced "
            f"FROM {self.layout.logs} WHERE {self._where(window, params)} "
            "GROUP BY bucket ORDER BY bucket"
        )
        _, rows = self.connection.query(sql, params)
        found = {}
        for bucket, requests, errors, tokens, latency, cost, unpriced in rows:
            p50, p95 = (None if v is None or math.isnan(v) else v for v in latency)
            found[_utc(bucket)] = {
                "requests": requests,
                "errors": errors,
                "tokens": tokens or 0,
                "p50": p50,
                "p95": p95,
                "cost": cost,
                "unpriced": unpriced,
            }
        return fill_series(found, start, end, step, clamped, False)

    def breakdown(
        self, criteria, start, end, dimension, key="", limit=BREAKDOWN_LIMIT, order="requests"
    ):
        start, end, _ = clamp_window(start, end)
        params = Parameters()
        window = criteria.narrowed(
            start=max(start, criteria.start) if criteria.start else start,
            end=min(end, criteria.end) if criteria.end else end,
        )
        if dimension == "metadata":
            name = params.add(key, "String")
            value = f"if(mapContains(metadata_index, {name}), metadata_index[{name}], NULL)"
        else:
            value = quoted(BREAKDOWN_FIELDS[dimension])
        ranking = "cost DESC NULLS LAST" if order == "cost" else "requests DESC"
        sql = (
            f"SELECT {value} AS value, count() AS requests, countIf(NOT is_success) AS errors, "
            "sum(total_tokens) AS tokens, sum(cost_usd) AS cost "
            f"FROM {self.layout.logs} WHERE {self._where(window, params)} "
            f"GROUP BY value ORDER BY {ranking}, value ASC "
            f"LIMIT {params.add(limit, 'UInt32')}"
        )
        columns, rows = self.connection.query(sql, params)
        return breakdown_rows([dict(zip(columns, row, strict=True)) for row in rows], order)

    def groups(
        self, criteria, start, end, *, key="", sort="cost", descending=True, limit=MAX_GROUPS
    ):
        start, end, clamped = clamp_window(start, end)
        sort = sort if sort in GROUP_SORTS else "cost"
        params = Parameters()
        window = criteria.narrowed(
            start=max(start, criteria.start) if criteria.start else start,
            end=min(end, criteria.end) if criteria.end else end,
        )
        value = "user"
        if key:
            name = params.add(key, "String")
            value = f"if(mapContains(metadata_index, {name}), metadata_index[{name}], NULL)"
        # quantileExactInclusive is PostgreSQL's percentile_cont (see timeseries): the exact
        # p95 of each group, not the sampled estimate `quantile` gives. Its memory grows with
        # the group's rows, which the 31-day window and the workspace scope bound.
        sql = (
            f"SELECT {value} AS value, count() AS requests, countIf(NOT is_success) AS errors, "
            "sum(total_tokens) AS tokens, sum(cost_usd) AS cost, "
            "countIf(cost_usd IS NULL AND total_tokens IS NOT NULL) AS unpriced, "
            "quantileExactInclusive(0.95)(latency_ms) AS p95, max(created_at) AS last_seen "
            f"FROM {self.layout.logs} WHERE {self._where(window, params)} GROUP BY value "
            f"ORDER BY {quoted(sort)} {'DESC' if descending else 'ASC'} NULLS LAST, value ASC "
            f"LIMIT {params.add(limit + 1, 'UInt32')}"
        )
        columns, rows = self.connection.query(sql, params)
        found = []
        for row in rows:
            row = dict(zip(columns, row, strict=True))
            if row["p95"] is not None and math.isnan(row["p95"]):
                row["p95"] = None
            row["last_seen"] = _utc(row["last_seen"])
            found.append(row)
        return group_totals(
            found,
            limit,
            sort=sort,
            descending=descending,
            window=(start, end, clamped),
            sampled=False,
        )

    def count_by_day(self, workspace_ids=None):
        params = Parameters()
        condition = "1"
        if workspace_ids is not None:
            condition = f"workspace_id IN {params.add(list(workspace_ids), 'Array(UInt64)')}"
        _, rows = self.connection.query(
            f"SELECT toDate(created_at) AS day, count() FROM {self.layout.logs} "
            f"WHERE {condition} GROUP BY day ORDER BY day",
            params,
        )
        return dict(rows)

    def delete(self, ids, workspace_ids=None):
        ids = [str(i) for i in ids]
        if not ids or workspace_ids == ():
            return
        params = Parameters()
        condition = f"id IN {params.add(ids, 'Array(UUID)')}"
        if workspace_ids is not None:
            condition += f" AND workspace_id IN {params.add(list(workspace_ids), 'Array(UInt64)')}"
        # A lightweight delete masks the rows at once (reads skip them); merges drop them later.
        self.connection.command(
            f"DELETE FROM {self.layout.local} {self.layout.on_cluster} WHERE {condition}", params
        )

    def oldest(self, criteria):
        params = Parameters()
        _, rows = self.connection.query(
            f"SELECT created_at FROM {self.layout.logs} WHERE {self._where(criteria, params)} "
            f"{OLDEST_FIRST} LIMIT 1",
            params,
        )
        return _utc(rows[0][0]) if rows else None

    def update_costs(self, batches):
        for logs in batches:
            self._update_costs(logs)

    def _update_costs(self, logs):
        """One mutation per batch, rewriting the cost columns of the parts holding its rows.

        The table is a plain MergeTree (rows are otherwise immutable), so this is
        `ALTER TABLE ... UPDATE`: each row's new values are looked up by its id in three
        parallel arrays. The id, workspace and time bounds let ClickHouse leave parts that
        cannot hold the rows as they are; `mutations_sync` answers only once the mutation is
        done (on every replica), so a reprice that returns has been applied.
        """
        if not logs:
            return
        params = Parameters()
        ids = params.add([str(log.id) for log in logs], "Array(UUID)")
        costs = params.add([log.cost_usd for log in logs], "Array(Nullable(Decimal(22, 12)))")
        sources = params.add([log.price_source for log in logs], "Array(String)")
        refs = params.add([log.price_ref for log in logs], "Array(String)")
        workspaces = params.add(sorted({log.workspace_id for log in logs}), "Array(UInt64)")
        moments = [log.created_at for log in logs]
        low = params.add(timestamp(min(moments)), DATETIME)
        high = params.add(timestamp(max(moments)), DATETIME)
        row = f"indexOf({ids}, id)"
        self.connection.command(
            f"ALTER TABLE {self.layout.local} {self.layout.on_cluster} UPDATE "
            f"cost_usd = {costs}[{row}], price_source = {sources}[{row}], "
            f"price_ref = {refs}[{row}] "
            f"WHERE workspace_id IN {workspaces} AND created_at >= {low} "
            f"AND created_at <= {high} AND id IN {ids}",
            params,
            settings={"mutations_sync": 2},
        )

    # --- retention ------------------------------------------------------------------------

    def partitions(self) -> dict[str, datetime]:
        """Active partition id -> the end of its day (every row in it is older)."""
        params = Parameters()
        _, rows = self.connection.query(
            "SELECT DISTINCT partition_id FROM system.parts WHERE active "
            f"AND database = {params.add(self.layout.database, 'String')} "
            f"AND table = {params.add(self.layout.local_name, 'String')}",
            params,
        )
        out = {}
        for (partition,) in rows:
            if PARTITION_ID.fullmatch(partition):
                day = datetime.strptime(partition, "%Y%m%d").replace(tzinfo=UTC)
                out[partition] = day + timedelta(days=1)
        return dict(sorted(out.items()))

    def prune(self, cutoffs, *, dry_run, batch_size, count_cap, progress):
        result = PruneResult()
        if any(cutoff is not None for cutoff in cutoffs.values()):
            for partition, upper in self.partitions().items():
                keepers = [pk for pk, c in cutoffs.items() if c is None or c < upper]
                if len(keepers) == len(cutoffs):
                    break  # later partitions are newer still
                if keepers and self._partition_holds(partition, keepers):
                    continue
                progress(f"{'would drop' if dry_run else 'dropping'} partition {partition}")
                if not dry_run:
                    self.connection.command(
                        f"ALTER TABLE {self.layout.local} {self.layout.on_cluster} "
                        f"DROP PARTITION ID '{partition}'"
                    )
                result.dropped_partitions.append(partition)
        for workspace_id, cutoff in sorted(cutoffs.items()):
            if cutoff is None:
                continue
            criteria = LogCriteria(workspace_ids=(workspace_id,), end=cutoff)
            params = Parameters()
            condition = self._where(criteria, params)
            if result.dropped_partitions:
                dropped = params.add(result.dropped_partitions, "Array(String)")
                condition += f" AND _partition_id NOT IN {dropped}"
            _, rows = self.connection.query(
                f"SELECT count() FROM (SELECT 1 FROM {self.layout.logs} WHERE {condition} "
                f"LIMIT {params.add(count_cap, 'UInt64')})",
                params,
            )
            count = rows[0][0]
            if count and not dry_run:
                self._delete_by_partition(workspace_id, cutoff)
            if count:
                result.deleted[workspace_id] = count
        return result

    def _partition_holds(self, partition, workspace_ids) -> bool:
        params = Parameters()
        _, rows = self.connection.query(
            f"SELECT 1 FROM {self.layout.local} "
            f"WHERE _partition_id = {params.add(partition, 'String')} "
            f"AND workspace_id IN {params.add(list(workspace_ids), 'Array(UInt64)')} LIMIT 1",
            params,
        )
        return bool(rows)

    def _delete_by_partition(self, workspace_id, cutoff):
        """Lightweight deletes, one day partition at a time, so each one stays bounded."""
        for partition, upper in self.partitions().items():
            if upper - timedelta(days=1) >= cutoff:
                break
            params = Parameters()
            self.connection.command(
                f"DELETE FROM {self.layout.local} {self.layout.on_cluster} "
                f"IN PARTITION ID '{partition}' "
                f"WHERE workspace_id = {params.add(workspace_id, 'UInt64')} "
                f"AND created_at < {params.add(timestamp(cutoff), DATETIME)}",
                params,
            )


def feedback_traces(criteria: LogCriteria) -> list[tuple[int, str]]:
    """(workspace_id, trace_id) of the traces in scope whose weighted feedback is in range."""
    scores = weighted_feedback_scores(criteria.feedback_min, criteria.feedback_max)
    if criteria.workspace_ids is not None:
        scores = scores.filter(workspace_id__in=criteria.workspace_ids)
    return list(scores.values_list("workspace_id", "trace_id"))


def attach_workspaces(logs):
    """Set each log's workspace from one query; logs of deleted workspaces are left out, as
    the ORM's join leaves them out."""
    ids = {log.workspace_id for log in logs}
    workspaces = {ws.pk: ws for ws in Workspace.objects.filter(pk__in=ids)}
    kept = []
    for log in logs:
        workspace = workspaces.get(log.workspace_id)
        if workspace is not None:
            log.workspace = workspace
            kept.append(log)
    return kept
