"""Fixtures for the operator console: people with different reach, and logs made directly."""

import itertools
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from logstore.models import Log

CHANGELIST = "/admin/logstore/log/"
_sequence = itertools.count()


def change_url(log):
    return f"/admin/logstore/log/{log.pk}/change/"


@pytest.fixture
def make_log(workspace):
    """Create a log row; each one is a millisecond older than the previous, unless told."""
    base = timezone.now()

    def make(ws=None, age=None, **fields):
        step = next(_sequence)
        created = base - (age if age is not None else timedelta(milliseconds=step))
        values = {
            "trace_id": f"trace-{step}",
            "span_id": f"span-{step}",
            "user": "alice",
            "provider": "openai",
            "model": "gpt-4o-mini",
            "method": "POST",
            "url": "https://api.openai.com/v1/chat/completions",
            "status": 200,
            "latency_ms": 120,
            "prompt_tokens": 9,
            "completion_tokens": 3,
            "total_tokens": 12,
            "request": {"body": {"messages": [{"role": "user", "content": "Hello"}]}},
            "response": {"status": 200, "body": {"choices": []}},
            "metadata": {"env": "prod"},
            "metadata_index": {"env": "prod"},
        }
        values.update(fields)
        values.setdefault("is_success", (values["status"] or 200) < 400)
        return Log.objects.create(
            workspace=ws or workspace, created_at=created, received_at=created, **values
        )

    return make


@pytest.fixture
def superuser_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def staff_client(client, workspace):
    """A staff member of `workspace` only, with no model permissions of their own."""
    user = get_user_model().objects.create_user("staff", "staff@example.com", "pw", is_staff=True)
    workspace.members.add(user)
    client.force_login(user)
    client.user = user
    return client
