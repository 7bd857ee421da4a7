"""Realistic Portkey logs for the benchmark: chat calls of ~2 KB, a tail of 20 KB and 200 KB
bodies, traces of 5-10 spans, ~1,000 users and 5-10 metadata keys per log. Deterministic."""

import random
import uuid
from datetime import UTC, datetime, timedelta

USERS = 1000
MODELS = [
    ("openai", "https://api.openai.com/v1/chat/completions", "gpt-4o-mini"),
    ("openai", "https://api.openai.com/v1/chat/completions", "gpt-4o"),
    ("anthropic", "https://api.anthropic.com/v1/messages", "claude-3-5-sonnet-20241022"),
    ("google", "https://generativelanguage.googleapis.com/v1beta/models/gemini-1.5-flash:gen", ""),
    ("mistral-ai", "https://api.mistral.ai/v1/chat/completions", "mistral-large-latest"),
]
FEATURES = [f"feature-{i}" for i in range(40)]
TEAMS = [f"team-{i}" for i in range(12)]
ENVIRONMENTS = ["production", "staging", "development"]
REGIONS = ["eu-west-1", "us-east-1", "us-west-2", "ap-south-1"]
SPAN_NAMES = ["agent", "retrieve", "rerank", "llm", "tool:search", "tool:sql", "summarise"]
_WORD_TEXT = (
    "the a of to and in is it you that was for on are with as I his they be at one have this "
    "from or had by hot word but what some we can out other were all there when up use your how "
    "said an each she which do their time if will way about many then them write would like so "
    "these her long make thing see him two has look more day could go come did number sound no "
    "most people my over know water than call first who may down side been now find any new work "
    "part take get place made live where after back little only round man year came show every "
    "good me give our under name very through just form sentence great think say help low line "
    "invoice refund customer account order shipping model token context latency embedding vector"
)
WORDS = _WORD_TEXT.split()


def _text(rng: random.Random, length: int) -> str:
    words = []
    size = 0
    while size < length:
        word = rng.choice(WORDS)
        words.append(word)
        size += len(word) + 1
    return " ".join(words)[:length]


def _body_size(rng: random.Random) -> int:
    """Characters of conversation text: median ~700 B (≈2 KB per log with its JSON)."""
    roll = rng.random()
    if roll < 0.005:
        return 200_000
    if roll < 0.05:
        return 20_000
    return int(rng.lognormvariate(6.55, 0.5))


class LogFactory:
    """Builds Portkey `CustomLog` bodies. Spans of one trace are emitted consecutively."""

    def __init__(self, seed=1, start=None, end=None):
        self.rng = random.Random(seed)
        self.end = end or datetime.now(UTC)
        self.start = start or self.end - timedelta(days=1)
        self.trace = []

    def user(self) -> str:
        # A few heavy users and a long tail, as real traffic has.
        return f"user-{min(int(self.rng.paretovariate(0.9)) - 1, USERS - 1):04d}"

    def metadata_value(self, key: str):
        rng = self.rng
        return {
            "feature": lambda: rng.choice(FEATURES),
            "team": lambda: rng.choice(TEAMS),
            "region": lambda: rng.choice(REGIONS),
            "session": lambda: f"s-{rng.randrange(50_000)}",
            "version": lambda: f"1.{rng.randrange(30)}.{rng.randrange(10)}",
            "tier": lambda: rng.randrange(1, 4),
            "experiment": lambda: rng.choice(["a", "b", "control"]),
            "cache": lambda: rng.choice([True, False]),
            "request_source": lambda: rng.choice(["web", "mobile", "api", "batch"]),
        }[key]()

    def _new_trace(self):
        rng = self.rng
        trace_id = uuid.UUID(int=rng.getrandbits(128)).hex
        spans = rng.randint(5, 10)
        when = self.start + (self.end - self.start) * rng.random()
        user = self.user()
        keys = ["feature", "team", "region", "session", "version", "tier", "experiment", "cache"]
        keys += ["request_source"]
        chosen = rng.sample(keys, rng.randint(4, 9))
        metadata = {"_user": user, "_environment": rng.choice(ENVIRONMENTS)}
        metadata.update({k: self.metadata_value(k) for k in chosen})
        root = f"{rng.getrandbits(64):016x}"
        self.trace = [
            (trace_id, root if i == 0 else f"{rng.getrandbits(64):016x}", root if i else "", i)
            for i in range(spans)
        ]
        self.trace_meta = metadata
        self.trace_time = when

    def make(self) -> dict:
        if not self.trace:
            self._new_trace()
        trace_id, span_id, parent, index = self.trace.pop(0)
        rng = self.rng
        provider, url, model = rng.choice(MODELS)
        prompt = _text(rng, _body_size(rng))
        answer = _text(rng, rng.randint(80, 600))
        prompt_tokens = len(prompt) // 4
        completion_tokens = len(answer) // 4
        status = 200 if rng.random() > 0.02 else rng.choice([429, 500, 503])
        created = self.trace_time + timedelta(milliseconds=index * rng.randint(5, 900))
        request_body = {
            "messages": [
                {"role": "system", "content": "You are a helpful assistant for Acme support."},
                {"role": "user", "content": prompt},
            ],
            "temperature": 0.2,
        }
        if model:
            request_body["model"] = model
        return {
            "request": {
                "url": url,
                "method": "POST",
                "headers": {
                    "content-type": "application/json",
                    "authorization": "Bearer sk-proj-abcdefghijklmnopqrstuvwxyz123456",
                },
                "body": request_body,
            },
            "response": {
                "status": status,
                "headers": {"content-type": "application/json", "x-request-id": span_id},
                "body": {
                    "id": f"chatcmpl-{span_id}",
                    "model": model or "gemini-1.5-flash",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}}],
                    "usage": {
                        "prompt_tokens": prompt_tokens,
                        "completion_tokens": completion_tokens,
                        "total_tokens": prompt_tokens + completion_tokens,
                    },
                },
                "response_time": rng.randint(150, 9000),
            },
            "metadata": dict(self.trace_meta),
            "trace_id": trace_id,
            "span_id": span_id,
            "parent_span_id": parent,
            "span_name": SPAN_NAMES[index % len(SPAN_NAMES)],
            "createdAt": created.isoformat(),
        }

    def batch(self, size: int) -> list[dict]:
        return [self.make() for _ in range(size)]
