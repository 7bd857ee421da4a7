"""Span trees from span/parent ids, and the trace page."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from logstore.web.traces import build_trace, build_tree, flatten, waterfall_bar
from tests.web.conftest import chat

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Span:
    span_id: str
    parent_span_id: str = ""
    at_ms: int = 0
    latency_ms: int | None = 10
    total_tokens: int | None = None
    is_success: bool = True
    cost_usd: Decimal | None = None
    id: uuid.UUID = field(default_factory=uuid.uuid4)

    @property
    def created_at(self):
        return T0 + timedelta(milliseconds=self.at_ms)


def shape(spans):
    return [(n.span.span_id, n.depth, n.detached) for n in flatten(build_tree(spans))]


def test_it_nests_children_under_parents_whatever_the_arrival_order():
    spans = [
        Span("grandchild", "child", at_ms=20),
        Span("child", "root", at_ms=10),
        Span("root", at_ms=0),
        Span("sibling", "root", at_ms=15),
    ]
    assert shape(spans) == [
        ("root", 0, ""),
        ("child", 1, ""),
        ("grandchild", 2, ""),
        ("sibling", 1, ""),
    ]


def test_it_shows_spans_whose_parent_never_arrived_as_roots():
    spans = [Span("root"), Span("lost", "missing-parent", at_ms=5)]
    assert shape(spans) == [("root", 0, ""), ("lost", 0, "missing")]


def test_it_breaks_cycles_instead_of_hanging():
    spans = [Span("a", "c", at_ms=0), Span("b", "a", at_ms=1), Span("c", "b", at_ms=2)]
    assert shape(spans) == [("a", 0, "cycle"), ("b", 1, ""), ("c", 2, "")]
    assert shape([Span("self", "self")]) == [("self", 0, "")]


def test_it_shows_every_span_once_even_with_repeated_or_missing_ids():
    spans = [
        Span("root"),
        Span("dup", "root", at_ms=1),
        Span("dup", "root", at_ms=2),  # a retried insert
        Span("", "", at_ms=3),
        Span("", "root", at_ms=4),
    ]
    rows = shape(spans)
    assert len(rows) == 5
    assert rows[0] == ("root", 0, "")
    assert [r for r in rows if r[0] == "dup"] == [("dup", 1, ""), ("dup", 1, "")]


def test_it_handles_a_deep_chain_without_recursion():
    spans = [Span(f"s{i}", f"s{i - 1}" if i else "", at_ms=i) for i in range(5000)]
    rows = flatten(build_tree(spans))
    assert rows[-1].depth == 4999


def test_it_totals_duration_tokens_and_errors():
    spans = [
        Span("root", at_ms=0, latency_ms=1000, total_tokens=None),
        Span("a", "root", at_ms=100, latency_ms=200, total_tokens=30, cost_usd=Decimal("0.25")),
        Span("b", "root", at_ms=900, latency_ms=600, total_tokens=12, is_success=False),
        Span("c", "root", at_ms=0, latency_ms=0, total_tokens=1, cost_usd=Decimal("0.0001")),
    ]
    trace = build_trace(spans)
    assert trace.duration_ms == 1500
    assert trace.total_tokens == 43
    assert trace.errors == 1
    assert (trace.total_cost, trace.unpriced) == (Decimal("0.2501"), 1)
    b = trace.rows[-1]
    assert b.offset_ms == 900
    assert waterfall_bar(b, trace.duration_ms) == (600.0, 400.0)
    assert build_trace([]).rows == []


@pytest.mark.django_db
def test_the_trace_page_draws_the_tree_and_links_every_span(web, api_key, post_logs):
    def span(span_id, parent, name, ms, status=200):
        body = chat("alice", minutes_ago=5)
        body["createdAt"] = (datetime.now(UTC) - timedelta(minutes=5, milliseconds=-ms)).isoformat()
        body["response"]["status"] = status
        return {
            **body,
            "trace_id": "tr-1",
            "span_id": span_id,
            "parent_span_id": parent,
            "span_name": name,
        }

    ids = post_logs(
        [
            span("c", "r", "child step", 50),
            span("o", "gone", "orphan step", 70, status=500),
            span("r", "", "root step", 0),
        ],
        key=api_key,
    )
    response = web.get("/traces/tr-1/")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.index("root step") < body.index("child step") < body.index("orphan step")
    for log_id in ids:
        assert f'href="/log/{log_id}/"' in body
    assert ">orphan</span>" in body
    assert "<rect" in body
    assert ">1</span></div>" in body  # one error in the totals


@pytest.mark.django_db
def test_an_unknown_trace_is_a_404(web):
    assert web.get("/traces/nope/").status_code == 404


@pytest.mark.parametrize(
    "trace_id",
    ["x/../victim", "./x", "../../admin/logstore/", "..", ".", "50%off", "a b?c#d", "café/ü"],
)
def test_trace_links_lead_to_their_own_trace_whatever_the_id(web, api_key, post_logs, trace_id):
    import html
    import re
    from urllib.parse import urljoin, urlsplit

    post_logs(
        [{**chat("victim"), "trace_id": "victim"}, {**chat("own"), "trace_id": trace_id}],
        key=api_key,
    )
    pages = {"/": web.get("/?user=own").content.decode()}
    [own] = re.findall(r'href="(/log/[^"]+)"', pages["/"])
    pages[own] = web.get(own).content.decode()
    for page, text in pages.items():
        [href] = re.findall(r'href="([^"]*/traces/[^"]*)"', text)
        # Resolved as a browser does: dot segments removed, then percent-decoded once.
        target = urlsplit(urljoin("http://testserver" + page, html.unescape(href)))
        response = web.get(target.path, QUERY_STRING=target.query)
        assert response.status_code == 200, (page, href)
        assert response.context["trace_id"] == trace_id, (page, href)
