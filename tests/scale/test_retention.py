"""prune_logs: each workspace's retention, on SQLite and PostgreSQL."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from logstore.models import IdempotencyRecord, Log
from tests.scale.conftest import days_ago

pytestmark = pytest.mark.django_db


def users_of(workspace):
    return sorted(Log.objects.filter(workspace=workspace).values_list("user", flat=True))


def prune(*args):
    out = StringIO()
    call_command("prune_logs", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def three_workspaces(workspace, other_workspace, api, other_api_key, make_api, post_dated_logs):
    """acme keeps 7 days, globex 30, forever keeps everything; each has logs 3, 10 and 40
    days old, named by age."""
    from logstore.models import ApiKey, Workspace

    workspace.retention_days = 7
    workspace.save()
    other_workspace.retention_days = 30
    other_workspace.save()
    forever = Workspace.objects.create(name="Forever", slug="forever")
    forever_key, raw = ApiKey.generate(forever, "k")
    forever_key.raw = raw
    specs = [(days_ago(age), {"user": f"{age}d"}) for age in (3, 10, 40)]
    for client in (api, make_api(other_api_key), make_api(forever_key)):
        post_dated_logs(client, [(when, dict(o)) for when, o in specs])
    return workspace, other_workspace, forever


def test_it_deletes_only_what_each_workspace_no_longer_keeps(three_workspaces):
    acme, globex, forever = three_workspaces
    output = prune("--batch-size", "1")
    assert users_of(acme) == ["3d"]
    assert users_of(globex) == ["10d", "3d"]
    assert users_of(forever) == ["10d", "3d", "40d"]
    assert "Removed" in output


def test_a_dry_run_removes_nothing_and_says_what_it_would(three_workspaces):
    acme, globex, forever = three_workspaces
    output = prune("--dry-run")
    assert users_of(acme) == ["10d", "3d", "40d"]
    assert users_of(globex) == ["10d", "3d", "40d"]
    assert "would delete 2 log(s) of acme" in output
    assert "would delete 1 log(s) of globex" in output
    assert "forever" not in output
    assert output.strip().splitlines()[-1].startswith("Would remove")


def test_it_keeps_everything_when_no_workspace_has_retention(api, post_dated_logs, workspace):
    post_dated_logs(api, [(days_ago(400), {"user": "old"})])
    prune()
    assert users_of(workspace) == ["old"]


def test_it_prunes_idempotency_records_older_than_a_day(workspace):
    old = IdempotencyRecord.objects.create(
        workspace=workspace, key="old", status_code=200, response={}, request_hash=""
    )
    IdempotencyRecord.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    IdempotencyRecord.objects.create(
        workspace=workspace, key="new", status_code=200, response={}, request_hash=""
    )
    assert "1 idempotency record(s)" in prune("--dry-run")
    assert IdempotencyRecord.objects.count() == 2
    prune()
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
