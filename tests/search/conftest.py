"""Fixtures for search: the web fixtures, and a log whose prompt and answer are given."""

import pytest

from tests.payloads import openai_chat
from tests.web.conftest import ago, client_for, member, web  # noqa: F401


def said(prompt, answer, user="alice", minutes_ago=1, **fields):
    """A chat log whose user said `prompt` and whose model answered `answer`."""
    body = openai_chat(user)
    body["request"]["body"]["messages"] = [{"role": "user", "content": prompt}]
    body["response"]["body"]["choices"][0]["message"]["content"] = answer
    body["createdAt"] = ago(minutes=minutes_ago)
    body.update(fields)
    return body


@pytest.fixture
def superuser_web(db, client_for):  # noqa: F811
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", password="x-long-password")
    return client_for(admin)
