"""Views of the web UI: each parses the URL, asks one service, and renders a template."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from logstore.core.jsoncodec import pretty
from logstore.exports.writers import export_response
from logstore.ingestion.feedback import page_feedback_scores, trace_feedback
from logstore.models import MetadataKey, SavedFilter
from logstore.pricing.costing import explain as explain_price
from logstore.query.access import scope_for, workspaces_for
from logstore.query.filters import MAX_SEARCH_LENGTH, STATUS_CLASSES, TIME_PRESETS
from logstore.query.keyset import SORTS as LIST_SORTS
from logstore.query.keyset import InvalidCursor, Page, decode_cursor, encode_cursor
from logstore.query.presenters import cost_display
from logstore.query.series import BREAKDOWN_ORDERS, GROUP_SORTS
from logstore.query.suggestions import SUGGESTED_FIELDS, recent_metadata_values, recent_values
from logstore.storage import get_store
from logstore.storage.orm import SQLITE_PERCENTILE_SAMPLE
from logstore.storage.port import BREAKDOWN_DIMENSIONS, LogCriteria, without_bodies
from logstore.web import charts as chart_service
from logstore.web.conversation import conversation
from logstore.web.forms import SavedFilterForm
from logstore.web.query import log_query, page_url
from logstore.web.traces import build_trace, waterfall_bar

MAX_TRACE_SPANS = 2000
AUTOCOMPLETE_LIMIT = 20
RECENT_KEYS = 50


def _filter_context(query, path, **carry):
    """What the shared filter bar needs: presets, pairs, saved filters, key suggestions.

    `carry` holds the page's own parameters (the chart breakdown) that filtering keeps.
    """
    carry = {key: value for key, value in carry.items() if value}
    presets = [
        (name, page_url(path, query, since=name, start="", end="", after="", before="", **carry))
        for name in TIME_PRESETS
    ]
    saved = SavedFilter.objects.filter(
        workspace__in=[w.pk for w in query.workspaces]
    ).select_related("workspace")
    return {
        "query": query,
        "presets": presets,
        "carry": sorted(carry.items()),
        "status_classes": list(STATUS_CLASSES),
        "metadata_pairs": query.params.getlist("metadata"),
        "saved_filters": saved,
        "recent_keys": _recent_keys(query.workspaces, query.workspace)[:RECENT_KEYS],
        "list_url": page_url(reverse("web:log-list"), query),
        "charts_url": page_url(reverse("web:charts"), query),
        "export_csv_url": page_url(reverse("web:export", args=["csv"]), query, cols=""),
        "export_jsonl_url": page_url(reverse("web:export", args=["jsonl"]), query, cols=""),
        "save_query": query.querystring(keep=("cols",)),
    }


def _recent_keys(workspaces, workspace=None, contains=""):
    keys = MetadataKey.objects.filter(
        workspace__in=[workspace.pk] if workspace else [w.pk for w in workspaces]
    )
    if contains:
        keys = keys.filter(key__icontains=contains)
    seen = []
    for key in keys.order_by("-last_seen_at", "key").values_list("key", flat=True)[:200]:
        if key not in seen:
            seen.append(key)
    return seen


def _list_rows(query, logs):
    """(log, metadata column values, workspace slug, weighted feedback) for each shown log."""
    slugs = {w.pk: w.slug for w in query.workspaces}
    scores = page_feedback_scores(logs)
    return [
        (
            log,
            [(log.metadata_index or {}).get(column) for column in query.columns],
            slugs.get(log.workspace_id, ""),
            scores.get((log.workspace_id, log.trace_id)),
        )
        for log in logs
    ]


def _row_context(query, rows):
    return {
        "query": query,
        "rows": rows,
        "show_workspace": len(query.workspaces) > 1 and query.workspace is None,
        "search_term": query.params.get("q", ""),
    }


@login_required
@require_GET
def log_list(request):
    query = log_query(request)
    sort = request.GET.get("sort") or "time"
    if sort not in LIST_SORTS:
        query.errors.append(f"Sort: {sort!r} is not one of {', '.join(LIST_SORTS)}.")
        sort = "time"
    try:
        page = get_store().page(
            query.criteria,
            columns=without_bodies("metadata_index"),
            sort=sort,
            after=request.GET.get("after") or None,
            before=request.GET.get("before") or None,
        )
    except InvalidCursor as exc:
        query.errors.append(str(exc))
        page = Page([], None, None)
    path = reverse("web:log-list")
    keep = {"sort": sort if sort != "time" else ""}
    paged = bool(request.GET.get("after") or request.GET.get("before"))
    context = {
        **_filter_context(query, path, **keep),
        **_row_context(query, _list_rows(query, page.rows)),
        "nav": "logs",
        "sort": sort,
        "sorts": [(name, label) for name, (_, label) in LIST_SORTS.items()],
        # Live tail follows the newest rows, so only the first page in time order offers it.
        "tail_url": ""
        if paged or sort != "time"
        else page_url(reverse("web:log-tail"), query, after="", before=""),
        "tail_cursor": encode_cursor(page.rows[0]) if page.rows else "",
        "newer_url": page.newer and page_url(path, query, before=page.newer, after="", **keep),
        "older_url": page.older and page_url(path, query, after=page.older, before="", **keep),
        "newest_url": page_url(path, query, after="", before="", **keep),
        "paged": paged,
    }
    return render(request, "logstore/log_list.html", context)


TAIL_LIMIT = 50


@login_required
@require_GET
def log_tail(request):
    """Live tail: only the rows newer than `newer_than` (the newest shown), oldest of them last.

    One query on the (workspace, created_at) index per poll; the page never re-runs itself.
    """
    query = log_query(request)
    if query.errors:
        return HttpResponseBadRequest("\n".join(query.errors), content_type="text/plain")
    try:
        created_at, log_id = decode_cursor(request.GET.get("newer_than", ""))
    except InvalidCursor as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain")
    logs = get_store().newer(
        query.criteria,
        created_at,
        log_id,
        limit=TAIL_LIMIT,
        columns=without_bodies("metadata_index"),
    )
    response = render(
        request, "logstore/_log_rows.html", _row_context(query, _list_rows(query, logs))
    )
    if logs:
        response["X-Tail-Cursor"] = encode_cursor(logs[0])
    return response


def _body(part):
    return part.get("body") if isinstance(part, dict) else None


@login_required
@require_GET
def log_detail(request, log_id):
    log = get_store().get(log_id, scope_for(request.user), with_workspace=True)
    if log is None:
        raise Http404("No such log")
    blocks = []
    for name in ("request", "response", "metadata"):
        text, length = pretty(getattr(log, name))
        blocks.append({"name": name, "text": text, "truncated": len(text) < length})
    workspace = log.workspace.slug
    context = {
        "nav": "logs",
        "log": log,
        "messages_": conversation(_body(log.request), _body(log.response)),
        "blocks": blocks,
        "trace_url": f"{reverse('web:trace', args=[log.trace_id])}?workspace={workspace}"
        if log.trace_id
        else "",
        "user_logs_url": reverse("web:log-list")
        + "?"
        + urlencode({"workspace": workspace, "user": log.user, "since": "7d"})
        if log.user
        else "",
        "metadata_items": sorted((log.metadata_index or {}).items()),
        "workspace_slug": workspace,
        "feedback": trace_feedback(log.workspace_id, log.trace_id),
        "price": explain_price(log),
        # The list's search, marked where it matches (escaped like any other text).
        "search_term": request.GET.get("q", "").replace("\x00", "").strip()[:MAX_SEARCH_LENGTH],
    }
    return render(request, "logstore/log_detail.html", context)


SPAN_PANEL_CHARS = 20_000


@login_required
@require_GET
def span_panel(request, log_id):
    """The trace page's side panel: one span's input and output, beside the waterfall."""
    log = get_store().get(log_id, scope_for(request.user))
    if log is None:
        raise Http404("No such log")
    blocks = []
    for name in ("request", "response"):
        text, length = pretty(getattr(log, name))
        blocks.append(
            {
                "name": name,
                "text": text[:SPAN_PANEL_CHARS],
                "truncated": length > SPAN_PANEL_CHARS,
            }
        )
    context = {
        "log": log,
        "messages_": conversation(_body(log.request), _body(log.response)),
        "blocks": blocks,
    }
    return render(request, "logstore/_span_panel.html", context)


@login_required
@require_GET
def trace_detail(request, trace_id):
    if "\x00" in trace_id:
        raise Http404("No such trace")
    scope = scope_for(request.user)
    slug = request.GET.get("workspace", "")
    if slug:
        scope = [get_object_or_404(workspaces_for(request.user), slug=slug).pk]
    spans = get_store().trace(trace_id, scope, limit=MAX_TRACE_SPANS + 1)
    if not spans:
        raise Http404("No such trace")
    truncated = len(spans) > MAX_TRACE_SPANS
    trace = build_trace(spans[:MAX_TRACE_SPANS])
    rows = []
    for node in trace.rows:
        x, width = waterfall_bar(node, trace.duration_ms)
        rows.append({"node": node, "log": node.span, "x": x, "width": width})
    feedback = trace_feedback(sorted({s.workspace_id for s in spans}), trace_id)
    first, last = min(s.created_at for s in spans), max(s.created_at for s in spans)
    list_params = {
        "trace_id": trace_id,
        # The form's datetime-local inputs read this form; a time without an offset is UTC.
        "start": f"{first:%Y-%m-%dT%H:%M:%S}",
        "end": f"{last + timedelta(seconds=1):%Y-%m-%dT%H:%M:%S}",
    }
    if slug:
        list_params["workspace"] = slug
    context = {
        "list_url": f"{reverse('web:log-list')}?{urlencode(list_params)}",
        "nav": "logs",
        "trace_id": trace_id,
        "trace": trace,
        "rows": rows,
        "truncated": truncated,
        "max_spans": MAX_TRACE_SPANS,
        "feedback": feedback,
        "workspaces": sorted({s.workspace.slug for s in spans}),
    }
    return render(request, "logstore/trace.html", context)


@login_required
@require_GET
def charts(request):
    query = log_query(request)
    store = get_store()
    series = store.timeseries(query.criteria, query.window_start, query.window_end)
    by = request.GET.get("by", "model")
    by_key = request.GET.get("by_key", "").strip()
    order = request.GET.get("order", "requests")
    order = order if order in BREAKDOWN_ORDERS else "requests"
    breakdown, breakdown_error = [], ""
    if by == "metadata" and not by_key:
        breakdown_error = "Pick a metadata key to break down by."
    elif by != "metadata" and by not in BREAKDOWN_DIMENSIONS:
        breakdown_error = f"Cannot break down by {by!r}."
    else:
        breakdown = store.breakdown(
            query.criteria, query.window_start, query.window_end, by, by_key, order=order
        )
    buckets = series.buckets
    context = {
        **_filter_context(
            query,
            reverse("web:charts"),
            by=by,
            by_key=by_key,
            order=order if order == "cost" else "",
        ),
        "nav": "charts",
        "series": series,
        "totals": series.totals,
        "requests_chart": chart_service.bars(buckets, "requests", overlay="errors"),
        "error_chart": chart_service.lines(buckets, ["error_rate"], scale=100),
        "latency_chart": chart_service.lines(buckets, ["p50", "p95"]),
        "tokens_chart": chart_service.bars(buckets, "tokens"),
        "cost_chart": chart_service.bars(buckets, "cost", label=cost_display),
        "breakdown": breakdown,
        "breakdown_rows": [
            (row, _breakdown_url(query, by, by_key, row.value)) for row in breakdown
        ],
        "breakdown_error": breakdown_error,
        "by": by,
        "by_key": by_key,
        "order": order,
        "order_choices": BREAKDOWN_ORDERS,
        "by_choices": [*BREAKDOWN_DIMENSIONS, "metadata"],
        "sample_size": SQLITE_PERCENTILE_SAMPLE,
    }
    return render(request, "logstore/charts.html", context)


def _breakdown_url(query, by, by_key, value):
    """The log list narrowed to one breakdown row, in the same window and filters."""
    if value is None or value == "":
        return ""
    if by == "metadata":
        pairs = [*query.params.getlist("metadata"), f"{by_key}={value}"]
        return page_url(reverse("web:log-list"), query, metadata=pairs)
    return page_url(reverse("web:log-list"), query, **{by: str(value)})


@login_required
@require_GET
def users(request):
    """Per user (or per value of a metadata key) in the window: who made the calls, who spent."""
    query = log_query(request)
    by_key = request.GET.get("by_key", "").replace("\x00", "").strip()[:256]
    sort = request.GET.get("sort", "cost")
    sort = sort if sort in GROUP_SORTS else "cost"
    descending = request.GET.get("dir", "desc") != "asc"
    totals = get_store().groups(
        query.criteria,
        query.window_start,
        query.window_end,
        key=by_key,
        sort=sort,
        descending=descending,
    )
    path = reverse("web:users")
    list_path = reverse("web:log-list")
    rows = []
    for row in totals.rows:
        url = ""
        if row.value not in (None, ""):
            filter_by = {"metadata": [f"{by_key}={row.value}"]} if by_key else {"user": row.value}
            url = page_url(list_path, query, **filter_by)
        rows.append((row, url))
    columns = [
        (
            name,
            label,
            page_url(
                path,
                query,
                by_key=by_key,
                sort=name,
                dir="asc" if sort == name and descending else "desc",
            ),
        )
        for name, label in (
            ("value", by_key or "user"),
            ("requests", "Requests"),
            ("errors", "Errors"),
            ("tokens", "Tokens"),
            ("cost", "Cost"),
            ("p95", "p95 latency"),
            ("last_seen", "Last seen"),
        )
    ]
    context = {
        **_filter_context(query, path, by_key=by_key, sort=sort),
        "nav": "users",
        "totals": totals,
        "rows": rows,
        "columns": columns,
        "by_key": by_key,
        "sample_size": SQLITE_PERCENTILE_SAMPLE,
    }
    return render(request, "logstore/users.html", context)


@login_required
@require_GET
def export(request, fmt):
    query = log_query(request)
    if query.errors:
        return HttpResponseBadRequest(
            "\n".join(query.errors).encode(), content_type="text/plain; charset=utf-8"
        )
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return export_response(query.criteria, fmt, filename=f"logs-{stamp}")


@login_required
@require_POST
def saved_filter_create(request):
    form = SavedFilterForm(request.POST, user=request.user)
    if form.is_valid():
        saved = form.save()
        messages.success(request, f"Saved filter “{saved.name}”.")
        return redirect(_saved_url(saved))
    if not form.fields["workspace"].queryset.exists():
        messages.error(request, "Filters are saved to a workspace, and you are not in one yet.")
    else:
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else "Filter"
            for error in errors:
                messages.error(request, f"{label}: {error}")
    return redirect(f"{reverse('web:log-list')}?{request.POST.get('query', '')}")


def _saved_url(saved):
    query = f"{saved.query}&" if saved.query else ""
    return f"{reverse('web:log-list')}?{query}workspace={saved.workspace.slug}"


@login_required
@require_POST
def saved_filter_delete(request, pk):
    saved = get_object_or_404(SavedFilter, pk=pk, workspace__in=workspaces_for(request.user))
    saved.delete()
    messages.success(request, f"Deleted saved filter “{saved.name}”.")
    return redirect("web:log-list")


@login_required
@require_GET
def metadata_keys(request):
    """Autocomplete: `<option>`s of recently seen keys matching what was typed so far."""
    typed = (
        request.GET.get("q")
        or (request.GET.getlist("metadata") or [""])[-1]
        or request.GET.get("cols", "").split(",")[-1]
        or request.GET.get("by_key", "")
    )
    typed = typed.replace("\x00", "")
    workspaces = list(workspaces_for(request.user))
    workspace = next((w for w in workspaces if w.slug == request.GET.get("workspace")), None)
    key, sep, value = typed.partition("=")
    key = key.strip()
    if "metadata" not in request.GET:
        keys = _recent_keys(workspaces, workspace, contains=key)[:AUTOCOMPLETE_LIMIT]
        return render(request, "logstore/_key_options.html", {"keys": keys})
    # A metadata pair: first its key (offered as `key=`), then, once `=` is typed, the values
    # that key recently had.
    if sep and key:
        logs = _suggestion_logs(request, workspaces, workspace)
        options = [f"{key}={v}" for v in recent_metadata_values(logs, key, value.strip())]
    else:
        options = [f"{k}=" for k in _recent_keys(workspaces, workspace, contains=key)]
    return render(request, "logstore/_key_options.html", {"keys": options[:AUTOCOMPLETE_LIMIT]})


def _suggestion_logs(request, workspaces, workspace):
    """The criteria of the rows whose values are suggested: the chosen workspace, or all."""
    if workspace:
        return LogCriteria(workspace_ids=(workspace.pk,))
    scope = scope_for(request.user)
    return LogCriteria(workspace_ids=None if scope is None else tuple(scope))


@login_required
@require_GET
def suggest(request, field):
    """Autocomplete: `<option>`s of recent values of model, provider or user."""
    if field not in SUGGESTED_FIELDS:
        raise Http404("No suggestions for this field")
    typed = (
        request.GET.get(f"{field}_contains") or request.GET.get(field) or request.GET.get("q", "")
    )
    workspaces = list(workspaces_for(request.user))
    workspace = next((w for w in workspaces if w.slug == request.GET.get("workspace")), None)
    logs = _suggestion_logs(request, workspaces, workspace)
    values = recent_values(logs, field, typed.replace("\x00", "").strip())
    return render(request, "logstore/_key_options.html", {"keys": values})
