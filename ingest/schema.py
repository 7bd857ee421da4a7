"""The OpenAPI schema class: every operation documents the API's one error shape."""

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


class ErrorDetailSerializer(serializers.Serializer):
    message = serializers.CharField()
    type = serializers.CharField()
    details = serializers.ListField(child=serializers.DictField(), required=False)


class ErrorSerializer(serializers.Serializer):
    """The one error shape: `message` for the JS SDK, `error.message` for the Python SDK."""

    message = serializers.CharField()
    error = ErrorDetailSerializer()


ERROR_DESCRIPTIONS = {
    400: "The request is invalid; `error.details` says where.",
    401: "No API key, or an unknown or revoked one.",
    403: "The key lacks the scope this operation needs, or names another workspace.",
    404: "Nothing with this id in the key's workspace.",
    409: "The export is not in a state that allows this.",
    413: "The body is over the size limit.",
    415: "The body is not sent as application/json.",
    503: "The database is unavailable; retry after `Retry-After` seconds.",
}
ALWAYS = (400, 401, 403, 404, 503)
WITH_BODY = (413, 415)


class LogstoreAutoSchema(AutoSchema):
    """Adds the documented error responses to every operation.

    Views name any extra error statuses they can answer in `documented_errors`.
    """

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        statuses = set(ALWAYS) | set(getattr(self.view, "documented_errors", ()))
        if self.method in {"POST", "PUT", "PATCH"}:
            statuses |= set(WITH_BODY)
        for code in sorted(statuses):
            if str(code) not in responses:
                response = self._get_response_for_code(ErrorSerializer, str(code), None, direction)
                response["description"] = ERROR_DESCRIPTIONS[code]
                responses[str(code)] = response
        return responses
