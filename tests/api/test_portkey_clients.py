"""The official Portkey clients, unchanged, against a live server: the Python SDK, its
LangChain callback handler and its OpenTelemetry span exporter."""

import pytest
from portkey_ai import Portkey

from logstore.models import Log
from tests.payloads import openai_chat

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("suffix", ["", "/v1"])
def test_the_python_sdk_stores_a_log_and_reads_it_back(live_server, api_key, suffix):
    portkey = Portkey(api_key=api_key.raw, base_url=live_server.url + suffix)
    body = openai_chat("sdk-user", feature="search")
    result = portkey.logs.create(
        request=body["request"], response=body["response"], metadata=body["metadata"]
    )
    assert result.status_code == 200
    assert result.headers["x-portkey-request-id"]
    [log_id] = result.json()["log_ids"]
    log = Log.objects.get(pk=log_id)
    assert log.user == "sdk-user"
    assert log.metadata["feature"] == "search"
    assert log.model == "gpt-4o-mini"

    import requests

    fetched = requests.get(
        f"{live_server.url}{suffix}/logs/{log_id}",
        headers={"x-portkey-api-key": api_key.raw},
        timeout=10,
    )
    assert fetched.status_code == 200
    assert fetched.json()["id"] == log_id


def test_the_python_sdk_sees_a_readable_error_for_a_bad_key(live_server):
    from portkey_ai.api_resources.exceptions import AuthenticationError

    portkey = Portkey(api_key="lsk_00000000_wrong", base_url=live_server.url)
    with pytest.raises(AuthenticationError) as info:
        portkey.logs.create(request={}, response={}, metadata={})
    assert "Invalid API key" in str(info.value)
    assert Log.objects.count() == 0


def test_the_python_sdk_trace_options_become_header_defaults(live_server, api_key):
    portkey = Portkey(
        api_key=api_key.raw,
        base_url=live_server.url + "/v1",
        trace_id="sdk-trace",
        metadata={"_environment": "staging"},
    )
    result = portkey.logs.create(request={"url": "u"}, response={"status": 200}, metadata={})
    assert result.status_code == 200
    log = Log.objects.get()
    assert log.trace_id == "sdk-trace"
    assert log.environment == "staging"


def test_the_langchain_handler_stores_a_span_tree(live_server, api_key):
    from langchain_core.language_models.fake import FakeListLLM
    from langchain_core.runnables import RunnableLambda
    from portkey_ai.langchain import LangchainCallbackHandler

    handler = LangchainCallbackHandler(
        api_key=api_key.raw, base_url=live_server.url, metadata={"_user": "lc-user"}
    )
    chain = RunnableLambda(lambda q: f"Say {q}") | FakeListLLM(responses=["hello"])
    assert chain.invoke("hi", config={"callbacks": [handler]}) == "hello"

    logs = list(Log.objects.all())
    assert len(logs) >= 2
    assert len({log.trace_id for log in logs}) == 1
    span_ids = {log.span_id for log in logs}
    roots = [log for log in logs if log.parent_span_id not in span_ids]
    assert len(roots) == 1
    assert all(log.user == "lc-user" for log in logs)
    assert all(log.latency_ms is not None for log in logs)


def test_the_otel_exporter_stores_spans_with_exact_64_bit_ids(live_server, api_key):
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from portkey_ai.api_resources.instrumentation.portkey_span_exporter import (
        PortkeySpanExporter,
    )

    provider = TracerProvider()
    provider.add_span_processor(
        SimpleSpanProcessor(PortkeySpanExporter(api_key=api_key.raw, base_url=live_server.url))
    )
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("parent") as parent, tracer.start_as_current_span("child"):
        pass
    provider.shutdown()

    parent_id = str(parent.get_span_context().span_id)
    logs = {log.span_name: log for log in Log.objects.all()}
    assert set(logs) == {"parent", "child"}
    assert logs["parent"].span_id == parent_id
    assert logs["child"].parent_span_id == parent_id
    assert logs["child"].trace_id == logs["parent"].trace_id
