"""A trace's spans as a tree and a waterfall, built from span and parent ids alone.

Pure functions: spans arrive in any order, parents may never arrive, ids may repeat, and a
careless client can even make a cycle; every span is still shown exactly once.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal


@dataclass(eq=False)
class SpanNode:
    span: object
    children: list["SpanNode"] = field(default_factory=list)
    parent: "SpanNode | None" = None
    depth: int = 0
    # Why a span with a parent id is drawn as a root: "missing" parent, or a "cycle" broken here.
    detached: str = ""
    offset_ms: float = 0.0
    duration_ms: float = 0.0


@dataclass
class Trace:
    rows: list[SpanNode]  # depth-first display order
    roots: list[SpanNode]
    start: datetime | None
    duration_ms: float
    total_tokens: int
    errors: int
    total_cost: Decimal | None = None  # of the spans with a price; None if none has one
    unpriced: int = 0  # spans with usage but no price, so the total is a lower bound

    @property
    def span_count(self):
        return len(self.rows)


def _start(span):
    return span.created_at


def build_tree(spans) -> list[SpanNode]:
    """The root nodes; each span (anything with span_id, parent_span_id, created_at) once."""
    nodes = [SpanNode(s) for s in sorted(spans, key=lambda s: (_start(s), str(s.id)))]
    by_id = {}
    for node in nodes:
        # A retried insert repeats a span id: the earliest copy is the one children hang from.
        by_id.setdefault(node.span.span_id or None, node)
    by_id.pop(None, None)

    for node in nodes:
        parent_id = node.span.parent_span_id
        if not parent_id:
            continue
        parent = by_id.get(parent_id)
        if parent is None:
            node.detached = "missing"
        elif parent is not node:
            node.parent = parent

    _break_cycles(nodes)

    roots = []
    for node in nodes:
        if node.parent is None:
            roots.append(node)
        else:
            node.parent.children.append(node)
    return roots


def _break_cycles(nodes):
    """Walk every parent chain once; a chain that loops back is cut at its earliest span."""
    state = {}  # node -> "walking" | "done"
    for node in nodes:
        path = []
        current = node
        while current is not None and current not in state:
            state[current] = "walking"
            path.append(current)
            current = current.parent
        if current is not None and state[current] == "walking":
            cycle = path[path.index(current) :]
            earliest = min(cycle, key=lambda n: (_start(n.span), str(n.span.id)))
            earliest.parent = None
            earliest.detached = "cycle"
        for visited in path:
            state[visited] = "done"


def flatten(roots) -> list[SpanNode]:
    """Depth-first order with depths set, without recursion (traces can be deep)."""
    rows = []
    stack = [(root, 0) for root in reversed(roots)]
    while stack:
        node, depth = stack.pop()
        node.depth = depth
        rows.append(node)
        stack.extend((child, depth + 1) for child in reversed(node.children))
    return rows


def build_trace(spans) -> Trace:
    """Tree, display rows, waterfall offsets and the totals of one trace."""
    roots = build_tree(spans)
    rows = flatten(roots)
    if not rows:
        return Trace([], [], None, 0.0, 0, 0)
    start = min(_start(n.span) for n in rows)
    end = start
    for node in rows:
        node.offset_ms = (_start(node.span) - start) / timedelta(milliseconds=1)
        node.duration_ms = float(node.span.latency_ms or 0)
        end = max(end, _start(node.span) + timedelta(milliseconds=node.duration_ms))
    costs = [n.span.cost_usd for n in rows if n.span.cost_usd is not None]
    return Trace(
        rows=rows,
        roots=roots,
        start=start,
        duration_ms=(end - start) / timedelta(milliseconds=1),
        total_tokens=sum(n.span.total_tokens or 0 for n in rows),
        errors=sum(1 for n in rows if not n.span.is_success),
        total_cost=sum(costs, Decimal(0)) if costs else None,
        unpriced=sum(
            1 for n in rows if n.span.cost_usd is None and n.span.total_tokens is not None
        ),
    )


def waterfall_bar(node: SpanNode, total_ms: float, scale: int = 1000) -> tuple[float, float]:
    """(x, width) of a span's bar on a 0..scale axis; a zero-length span stays visible."""
    if total_ms <= 0:
        return 0.0, float(scale)
    x = node.offset_ms / total_ms * scale
    width = max(node.duration_ms / total_ms * scale, scale * 0.004)
    return round(min(x, scale - width), 2), round(width, 2)
