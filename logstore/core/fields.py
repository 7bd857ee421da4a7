"""A JSON column stored as text, exactly as serialised at ingest.

Request and response bodies are kept as text rather than jsonb: PostgreSQL's jsonb refuses
`\\u0000` and reorders keys, costs a parse per row on insert, and nothing queries inside a body.
"""

from django.db import models

from logstore.core.jsoncodec import dumps, loads


class JSONTextField(models.TextField):
    description = "JSON kept as text"

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return loads(value)

    def to_python(self, value):
        if value is None or not isinstance(value, str | bytes):
            return value
        return loads(value)

    def get_prep_value(self, value):
        if value is None:
            return None
        return dumps(value)

    def value_to_string(self, obj):
        return self.get_prep_value(self.value_from_object(obj))
