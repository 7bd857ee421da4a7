"""The one JSON error body, and the domain's refusals that the HTTP layer maps to a status once.

    {"message": "...", "error": {"message": "...", "type": "...", "details": [...]}}

The Python SDK builds its exception text from `error.message`, the JS SDK from `message`; the
API, the probes, `/metrics` and the database-unavailable path all answer with this shape.
"""

DATABASE_UNAVAILABLE = "The log store's database is unavailable; retry shortly."
CLICKHOUSE_UNAVAILABLE = "The log store's ClickHouse is unavailable; retry shortly."
# What is away -> what the client reads: the Django database, or the backend holding the logs.
UNAVAILABLE_MESSAGES = {"database": DATABASE_UNAVAILABLE, "clickhouse": CLICKHOUSE_UNAVAILABLE}
# How long a client should wait before retrying while the database is away.
DATABASE_RETRY_AFTER_SECONDS = 5


def error_body(message: str, error_type: str, details=None) -> dict:
    message = _encodable(message)
    error = {"message": message, "type": error_type}
    if details:
        error["details"] = _encodable(details)
    return {"message": message, "error": error}


def _encodable(value):
    """A client's text (a field name, say) may hold lone surrogates, which UTF-8 cannot carry;
    they are shown escaped instead of failing the response."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list):
        return [_encodable(item) for item in value]
    if isinstance(value, dict):
        return {_encodable(key): _encodable(item) for key, item in value.items()}
    return value


def unavailable_body(*down: str) -> dict:
    """The 503 body naming each dependency that is away (default: the database)."""
    down = down or ("database",)
    message = " ".join(UNAVAILABLE_MESSAGES[name] for name in down)
    details = [{"dependency": name, "status": "unavailable"} for name in down]
    return error_body(message, "service_unavailable", details)


class Refused(ValueError):
    """A request the domain refuses: `status_code` and `code` say how, `details` what exactly.

    Services raise it (or a subclass); the API's exception handler turns it into the error
    body, so no view catches and re-raises.
    """

    status_code = 400
    code = "invalid_request"

    def __init__(self, message, *, status_code=None, code=None, details=None):
        super().__init__(message)
        self.message = message
        self.details = details
        if status_code is not None:
            self.status_code = status_code
        if code is not None:
            self.code = code
