"""Log bodies as the official Portkey clients and the published docs send them."""

SEED_CURL_BODY = """{
  "request": {
    "url": "https://api.someprovider.com/model/generate",
    "method": "POST",
    "headers": { "Content-Type": "application/json" },
    "body": { "prompt": "What is AI?" }
  },
  "response": {
    "status": 200,
    "headers": { "Content-Type": "application/json" },
    "body": { "response": "AI stands for Artificial Intelligence..." },
    "response_time": 123
  },
  "metadata": {
    "user_id": "123",
    "user_name": "John Doe"
  }
}"""


def openai_chat(user="alice", model="gpt-4o-mini", status=200, **metadata):
    return {
        "request": {
            "url": "https://api.openai.com/v1/chat/completions",
            "method": "POST",
            "headers": {
                "Content-Type": "application/json",
                "Authorization": "Bearer sk-proj-abcdefghijklmnop1234",
            },
            "body": {"model": model, "messages": [{"role": "user", "content": "Hello"}]},
        },
        "response": {
            "status": status,
            "body": {
                "model": model,
                "choices": [{"message": {"role": "assistant", "content": "Hi!"}}],
                "usage": {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12},
            },
            "response_time": 321,
        },
        "metadata": {"_user": user, **metadata},
    }


def langchain_batch(trace_id="lc-trace-1"):
    """What portkey_ai.langchain's callback handler posts: children first, root last."""
    return [
        {
            "span_id": "child-1",
            "parent_span_id": "root-1",
            "span_name": "ChatOpenAI",
            "trace_id": trace_id,
            "request": {"name": "ChatOpenAI", "prompts": ["Hello"], "serialized": {"kwargs": {}}},
            "start_time": 1764330000.25,
            "metadata": {"_source": "Langchain", "_source_type": "Agent"},
            "response": {"response": {"generations": []}, "response_time": "0042"},
        },
        {
            "span_id": "root-1",
            "parent_span_id": "",
            "span_name": "RunnableSequence",
            "trace_id": trace_id,
            "request": {"name": "RunnableSequence", "input": {"q": "Hello"}},
            "start_time": 1764330000.0,
            "metadata": {"_source": "Langchain", "_source_type": "Agent"},
            "response": {"output": "Hi", "response_time": "0001"},
        },
    ]


BIG_SPAN_ID = 17228372934563453405  # above 2**63, let alone 2**53
BIG_PARENT_ID = 9007199254740993  # 2**53 + 1: a float would turn it into ...992


def otel_batch():
    """What portkey_ai's PortkeySpanExporter posts."""
    return [
        {
            "metadata": {
                "traceId": "5b8efff798038103d269b633813fc60c",
                "spanId": BIG_SPAN_ID,
                "spanName": "openai.chat",
                "parentSpanId": BIG_PARENT_ID,
                "startTime": 1764330000123456789,
                "endTime": 1764330000623456789,
                "_logType": "opentelemetry",
                "_source": "unknown",
                "framework.version": "unknown",
            },
            "request": {
                "method": "POST",
                "headers": {"Content-Type": "application/json"},
                "body": {"name": "openai.chat", "attributes": {}},
            },
            "response": {
                "status": 200,
                "headers": {"Content-Type": "application/json"},
                "body": {},
                "response_time": 500.000001,
            },
        }
    ]
