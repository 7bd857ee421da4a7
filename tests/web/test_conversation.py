"""Chat bodies as messages: OpenAI and Anthropic shapes, content parts and tool calls."""

from logstore.web.conversation import conversation


def roles(messages):
    return [m.role for m in messages]


def test_it_reads_an_openai_chat_with_parts_and_tool_calls():
    request = {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {
                        "type": "image_url",
                        "image_url": {"url": "data:image/png;base64," + "A" * 500},
                    },
                ],
            },
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "lookup", "arguments": '{"q": 1}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "found"},
        ]
    }
    response = {
        "choices": [
            {"message": {"role": "assistant", "content": "A cat."}, "finish_reason": "stop"}
        ]
    }
    messages = conversation(request, response)
    assert roles(messages) == ["system", "user", "assistant", "tool", "assistant"]
    user = messages[1]
    assert [p.kind for p in user.parts] == ["text", "image"]
    assert "500 chars" not in user.parts[1].text and "chars)" in user.parts[1].text
    assert messages[2].tool_calls[0].name == "lookup"
    assert messages[2].tool_calls[0].arguments == '{"q": 1}'
    assert messages[3].note == "tool_call_id: c1"
    assert messages[4].from_response and messages[4].note == "finish: stop"


def test_it_reads_an_anthropic_message_with_tool_use_and_results():
    request = {
        "system": [{"type": "text", "text": "Be brief."}],
        "messages": [
            {"role": "user", "content": "Weather?"},
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": "t1", "name": "weather", "input": {"city": "Oslo"}}
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "t1",
                        "content": [{"type": "text", "text": "-3C"}],
                    }
                ],
            },
        ],
    }
    response = {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "text", "text": "Cold."}],
        "stop_reason": "end_turn",
    }
    messages = conversation(request, response)
    assert roles(messages) == ["system", "user", "assistant", "user", "assistant"]
    assert messages[0].parts[0].text == "Be brief."
    assert messages[2].tool_calls[0].name == "weather"
    assert messages[2].tool_calls[0].arguments == '{"city":"Oslo"}'
    assert messages[3].parts[0].kind == "tool_result" and messages[3].parts[0].text == "-3C"
    assert messages[4].parts[0].text == "Cold." and messages[4].note == "finish: end_turn"


def test_it_yields_nothing_for_bodies_that_are_not_chats():
    assert conversation({"input": "x"}, {"output": "y"}) == []
    assert conversation(None, None) == []
    assert conversation({"messages": "not a list"}, {}) == []
    assert roles(conversation({"prompt": "Say hi"}, {"choices": [{"text": "hi"}]})) == [
        "prompt",
        "completion",
    ]
