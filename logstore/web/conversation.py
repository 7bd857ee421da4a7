"""Chat request/response bodies (OpenAI- and Anthropic-shaped) as a list of messages to show.

Pure and forgiving: anything it does not recognise yields no messages, and the raw JSON is
always shown beside it, so a surprising shape never hides data.
"""

from dataclasses import dataclass, field

from logstore.core.jsoncodec import dumps


@dataclass
class Part:
    kind: str  # text | image | tool_result | data
    text: str = ""
    label: str = ""


@dataclass
class ToolCall:
    name: str
    arguments: str
    id: str = ""


@dataclass
class Message:
    role: str
    parts: list[Part] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)
    note: str = ""  # tool_call_id, stop reason, ...
    from_response: bool = False


def conversation(request_body, response_body) -> list[Message]:
    request_body = request_body if isinstance(request_body, dict) else {}
    response_body = response_body if isinstance(response_body, dict) else {}
    messages = []
    system = request_body.get("system")
    if system:
        messages.append(Message("system", _parts(system)))
    for raw in _list(request_body.get("messages")):
        if isinstance(raw, dict):
            messages.append(_message(raw))
    if not messages and isinstance(request_body.get("prompt"), str | list):
        messages.append(Message("prompt", _parts(request_body["prompt"])))
    if not messages:
        return []
    messages.extend(_response_messages(response_body))
    return messages


def _response_messages(body):
    out = []
    for choice in _list(body.get("choices")):
        if not isinstance(choice, dict):
            continue
        if isinstance(choice.get("message"), dict):
            message = _message(choice["message"], default_role="assistant")
        elif "text" in choice:
            message = Message("completion", _parts(choice.get("text")))
        else:
            continue
        message.note = _finish(choice.get("finish_reason"))
        message.from_response = True
        out.append(message)
    anthropic = body.get("type") == "message" or (
        body.get("role") == "assistant" and "content" in body
    )
    if not out and anthropic:
        message = _message(body, default_role="assistant")
        message.note = _finish(body.get("stop_reason"))
        message.from_response = True
        out.append(message)
    return out


def _finish(reason):
    return f"finish: {reason}" if isinstance(reason, str) and reason else ""


def _message(raw, default_role="message"):
    role = raw.get("role") if isinstance(raw.get("role"), str) else default_role
    message = Message(role, [])
    content = raw.get("content")
    if content is not None:
        for part in _content_parts(content):
            if isinstance(part, ToolCall):
                message.tool_calls.append(part)
            else:
                message.parts.append(part)
    for call in _list(raw.get("tool_calls")):
        if isinstance(call, dict):
            function = call.get("function") if isinstance(call.get("function"), dict) else {}
            message.tool_calls.append(
                ToolCall(
                    name=str(function.get("name", "")),
                    arguments=_text(function.get("arguments", "")),
                    id=str(call.get("id", "")),
                )
            )
    legacy = raw.get("function_call")
    if isinstance(legacy, dict):
        message.tool_calls.append(
            ToolCall(str(legacy.get("name", "")), _text(legacy.get("arguments", "")))
        )
    if raw.get("tool_call_id"):
        message.note = f"tool_call_id: {raw['tool_call_id']}"
    elif role in {"tool", "function"} and raw.get("name"):
        message.note = f"name: {raw['name']}"
    return message


def _content_parts(content):
    if not isinstance(content, list):
        return _parts(content)
    out = []
    for item in content:
        if not isinstance(item, dict):
            out.extend(_parts(item))
            continue
        kind = item.get("type")
        if kind in {"text", "input_text", "output_text"} and "text" in item:
            out.append(Part("text", _text(item["text"])))
        elif kind == "image_url":
            url = item.get("image_url")
            url = url.get("url", "") if isinstance(url, dict) else url
            out.append(Part("image", _short(_text(url)), label="image"))
        elif kind in {"image", "document"}:
            source = item.get("source") if isinstance(item.get("source"), dict) else {}
            label = f"{kind} ({source.get('media_type') or source.get('type') or 'source'})"
            out.append(Part("image", _short(_text(source.get("url") or source.get("data"))), label))
        elif kind == "tool_use":
            out.append(
                ToolCall(
                    str(item.get("name", "")), _text(item.get("input")), str(item.get("id", ""))
                )
            )
        elif kind == "tool_result":
            inner = item.get("content")
            text = (
                "\n".join(p.text for p in _content_parts(inner) if isinstance(p, Part))
                if inner is not None
                else ""
            )
            out.append(Part("tool_result", text, label=f"result of {item.get('tool_use_id', '')}"))
        else:
            out.append(Part("data", _text(item), label=str(kind or "part")))
    return out


def _parts(value):
    if isinstance(value, list):
        return _content_parts(value)
    if value is None:
        return []
    return [Part("text", _text(value))]


def _text(value):
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return dumps(value)


def _short(text, limit=200):
    # Base64 images run to megabytes; the raw JSON below still holds all of it.
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} chars)"


def _list(value):
    return value if isinstance(value, list) else []
