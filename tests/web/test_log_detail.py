"""The log page: derived fields, the conversation, pretty JSON, links to trace and user."""

import json

import pytest

from tests.web.conftest import chat

pytestmark = pytest.mark.django_db


def anthropic_log():
    return {
        "request": {
            "url": "https://api.anthropic.com/v1/messages",
            "body": {
                "model": "claude-sonnet-4-5",
                "system": "Answer in French.",
                "messages": [{"role": "user", "content": [{"type": "text", "text": "Hello"}]}],
            },
        },
        "response": {
            "status": 200,
            "body": {
                "type": "message",
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Bonjour"},
                    {"type": "tool_use", "id": "tu_1", "name": "translate", "input": {"to": "fr"}},
                ],
                "usage": {"input_tokens": 10, "output_tokens": 4},
            },
            "response_time": 250,
        },
        "metadata": {"_user": "pierre", "feature": "translate"},
        "trace_id": "tr-anthropic",
    }


def test_it_shows_derived_fields_conversation_and_raw_json(web, api_key, post_logs):
    (log_id,) = post_logs(
        [{**chat("alice", metadata={"feature": "search"}), "trace_id": "t9"}], key=api_key
    )
    response = web.get(f"/log/{log_id}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert ">200</span>" in body and "321 ms" in body and "gpt-4o-mini" in body
    assert "12 <span" in body  # total tokens
    assert 'class="message role-user' in body and 'class="message role-assistant' in body
    assert "Hi!" in body
    assert body.index('class="conversation"') < body.index('id="json-request"')
    assert "&quot;messages&quot;: [\n" in body  # pretty-printed and escaped
    assert 'data-copy="json-response"' in body
    assert 'href="/traces/t9/?workspace=acme"' in body
    assert 'href="/?workspace=acme&amp;user=alice&amp;since=7d"' in body
    # Authorization headers were masked at ingest and stay masked here.
    assert "sk-proj-abcdefghijklmnop1234" not in body


def test_it_renders_anthropic_messages_with_tool_use(web, api_key, post_logs):
    (log_id,) = post_logs([anthropic_log()], key=api_key)
    body = web.get(f"/log/{log_id}/").content.decode()
    assert 'class="message role-system' in body and "Answer in French." in body
    assert "Bonjour" in body
    assert '<strong class="mono">translate</strong>' in body
    assert "14 <span" in body


def test_it_answers_404_for_an_unknown_log(web):
    assert web.get("/log/01a22211-aa89-7290-8000-000000000000/").status_code == 404


def test_it_shows_the_traces_feedback_with_its_weighted_score(web, api, api_key, post_logs):
    (log_id,) = post_logs([{**chat("alice"), "trace_id": "fb-trace"}], key=api_key)
    feedback = [
        {"trace_id": "fb-trace", "value": 10, "weight": 1, "metadata": {"note": "<b>great</b>"}},
        {"trace_id": "fb-trace", "value": -2, "weight": 0.5},
    ]
    response = api.post("/v1/feedback", data=json.dumps(feedback), content_type="application/json")
    assert response.status_code == 200
    for page in (f"/log/{log_id}/", "/traces/fb-trace/?workspace=acme"):
        body = web.get(page).content.decode()
        assert "weighted score 6.00" in body, page  # (10*1 - 2*0.5) / 1.5
        assert "&lt;b&gt;great&lt;/b&gt;" in body and "<b>great</b>" not in body
