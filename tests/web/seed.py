"""A day of believable traffic for browser journeys and screenshots, stored via the real API."""

import random
from datetime import UTC, datetime, timedelta

from tests.posting import post_json

XSS = '<script>alert("xss")</script>'
XSS_IMG = '<img src=x onerror=alert("xss-img")>'
MODELS = [("openai", "gpt-4o-mini"), ("openai", "gpt-4o"), ("anthropic", "claude-sonnet-4-5")]
USERS = ["alice", "bob", "carol", "dan", "erin"]
FEATURES = ["search", "summarize", "chat", "classify"]


def _when(minutes_ago):
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat()


def call(provider, model, user, feature, minutes_ago, status=200, latency=400, **extra):
    prompt = random.randint(40, 900)
    completion = random.randint(10, 400)
    if provider == "anthropic":
        request_body = {
            "model": model,
            "system": "You are a concise assistant.",
            "messages": [{"role": "user", "content": f"Help me {feature} this."}],
            "max_tokens": 512,
        }
        response_body = {
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": f"Here is the {feature} result."}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": prompt, "output_tokens": completion},
        }
        url = "https://api.anthropic.com/v1/messages"
    else:
        request_body = {
            "model": model,
            "messages": [
                {"role": "system", "content": "You are a concise assistant."},
                {"role": "user", "content": f"Help me {feature} this."},
            ],
        }
        response_body = {
            "model": model,
            "choices": [
                {
                    "message": {"role": "assistant", "content": f"Here is the {feature} result."},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }
        url = "https://api.openai.com/v1/chat/completions"
    if status >= 400:
        response_body = {"error": {"message": "Rate limit reached", "type": "rate_limit"}}
    return {
        "request": {"url": url, "method": "POST", "body": request_body},
        "response": {"status": status, "body": response_body, "response_time": latency},
        "metadata": {"_user": user, "feature": feature, "tier": random.choice(["free", "pro"])},
        "createdAt": _when(minutes_ago),
        **extra,
    }


def agent_trace(trace_id="trace-checkout-42", minutes_ago=30):
    """A small agent run: a root, a retrieval, two model calls (one a tool call), an orphan."""
    start = datetime.now(UTC) - timedelta(minutes=minutes_ago)

    def at(ms):
        return (start + timedelta(milliseconds=ms)).isoformat()

    tool_call = call("openai", "gpt-4o", "alice", "search", minutes_ago, latency=820)
    tool_call["response"]["body"]["choices"][0]["message"] = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "lookup_order", "arguments": '{"order_id": 42}'},
            }
        ],
    }
    answer = call("openai", "gpt-4o-mini", "alice", "search", minutes_ago, latency=640)
    spans = [
        # Children first, as the LangChain handler sends them.
        {**answer, "span_id": "s-answer", "parent_span_id": "s-root", "span_name": "answer"},
        {**tool_call, "span_id": "s-plan", "parent_span_id": "s-root", "span_name": "plan"},
        {
            "request": {"name": "retriever", "input": {"q": "order 42"}},
            "response": {"status": 200, "response_time": 180},
            "metadata": {"_user": "alice", "feature": "search"},
            "span_id": "s-retrieve",
            "parent_span_id": "s-plan",
            "span_name": "retrieve documents",
        },
        {
            "request": {"name": "late span"},
            "response": {"status": 500, "response_time": 90},
            "metadata": {"_user": "alice", "feature": "search"},
            "span_id": "s-orphan",
            "parent_span_id": "s-never-arrived",
            "span_name": "cache write",
        },
        {
            "request": {"name": "agent", "input": {"q": "Where is order 42?"}},
            "response": {"status": 200, "response_time": 2100},
            "metadata": {"_user": "alice", "feature": "search"},
            "span_id": "s-root",
            "parent_span_id": "",
            "span_name": "checkout agent",
        },
    ]
    offsets = {"s-root": 0, "s-plan": 40, "s-retrieve": 260, "s-answer": 1300, "s-orphan": 1950}
    for span in spans:
        span["trace_id"] = trace_id
        span["createdAt"] = at(offsets[span["span_id"]])
    return spans


def xss_logs(minutes_ago=3):
    """Hostile values everywhere a client controls text."""
    body = call("openai", XSS, XSS, XSS, minutes_ago, latency=77)
    body["metadata"] = {"_user": XSS, "feature": XSS, XSS: XSS_IMG}
    body["request"]["body"]["messages"].append({"role": XSS, "content": XSS_IMG})
    body["trace_id"] = "trace-xss"
    body["span_id"] = XSS
    body["span_name"] = XSS
    return [body]


def traffic(seed=7, count=240):
    random.seed(seed)
    logs = []
    for index in range(count):
        provider, model = random.choice(MODELS)
        minutes_ago = random.uniform(1, 24 * 60 - 5)
        status = 429 if random.random() < 0.06 else (503 if random.random() < 0.02 else 200)
        latency = int(random.lognormvariate(6.2, 0.5))
        logs.append(
            call(
                provider,
                model,
                random.choice(USERS),
                random.choice(FEATURES),
                minutes_ago,
                status=status,
                latency=latency,
                trace_id=f"trace-{index:04d}",
            )
        )
    return logs


def seed(post):
    """`post(list_of_logs)` stores a batch; returns nothing."""
    batch = traffic()
    for start in range(0, len(batch), 100):
        post(batch[start : start + 100])
    post(agent_trace())
    post([call("openai", "gpt-4o-mini", "zoe", "archive", 3 * 24 * 60, trace_id="trace-old")])


def api_poster(client, raw_key):
    def post(logs):
        response = post_json(client, logs, HTTP_X_PORTKEY_API_KEY=raw_key)
        assert response.status_code == 200, response.content

    return post
