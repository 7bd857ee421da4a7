"""Tests that read the same logs through every surface borrow the admin's and API's fixtures."""

from tests.admin.conftest import superuser_client  # noqa: F401
from tests.api.conftest import immediate_tasks, media_root  # noqa: F401
