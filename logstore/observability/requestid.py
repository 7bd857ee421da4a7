"""Request ids on every response.

The Portkey SDKs retry a 5xx unless the response carries `x-portkey-request-id`; sending it
always means a failed insert is retried by the caller's own logic, never twice by the SDK.
"""

import re

from logstore.core.ids import uuid7

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = incoming if _SAFE_ID.match(incoming) else str(uuid7())
        response = self.get_response(request)
        response["x-portkey-request-id"] = request.request_id
        response["X-Request-ID"] = request.request_id
        return response
