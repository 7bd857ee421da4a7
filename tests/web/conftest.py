"""Fixtures for the web UI: a signed-in member of a workspace, and logs sent through the API."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.payloads import openai_chat

XSS = '<script>alert("xss")</script>'


@pytest.fixture
def member(workspace):
    user = get_user_model().objects.create_user("dev", password="s3cret-pass-word")
    workspace.members.add(user)
    return user


@pytest.fixture
def client_for(db):
    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def web(member, client_for):
    """A browser-like client signed in as a member of the `acme` workspace."""
    return client_for(member)


def ago(**delta):
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


def chat(user="alice", minutes_ago=1, **overrides):
    """An OpenAI chat log that happened `minutes_ago` minutes ago."""
    metadata = overrides.pop("metadata", {})
    body = openai_chat(user, **metadata)
    body["createdAt"] = ago(minutes=minutes_ago)
    body.update(overrides)
    return body
