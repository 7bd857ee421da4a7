"""Sending requests to the API the way the SDKs do: shared by every test that posts a body."""

import json


def post_json(client, body, path="/v1/logs", **headers):
    """POST `body` (JSON-encoded unless already str or bytes) and return the response."""
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(path, data=data, content_type="application/json", **headers)
