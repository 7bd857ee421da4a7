"""Settings come from the environment; a bad value stops start-up naming the variable."""

import os
import subprocess
import sys

import pytest


def start(**env):
    environ = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**environ, "DJANGO_SETTINGS_MODULE": "project.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEBUG", "maybe"),
        ("LOGSTORE_MAX_BODY_BYTES", "lots"),
        ("LOGSTORE_MAX_BATCH_ITEMS", "0"),
        ("DATABASE_URL", "mongodb://localhost/x"),
    ],
)
def test_a_bad_value_fails_at_start_up_naming_the_variable(variable, value):
    result = start(**{variable: value})
    assert result.returncode != 0
    assert variable in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_good_values_start(tmp_path):
    result = start(
        DEBUG="false",
        LOGSTORE_MAX_BATCH_ITEMS="5_000",
        DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3",
    )
    assert result.returncode == 0, result.stderr


def _manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_metrics_directory_that_does_not_exist_yet_is_created(tmp_path):
    missing = tmp_path / "not" / "yet"
    result = _manage("check", PROMETHEUS_MULTIPROC_DIR=str(missing))
    assert result.returncode == 0, result.stderr
    assert missing.is_dir()


def test_a_metrics_directory_that_cannot_be_created_is_named_at_start_up(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = _manage("check", PROMETHEUS_MULTIPROC_DIR=str(blocker / "metrics"))
    assert result.returncode != 0
    assert "PROMETHEUS_MULTIPROC_DIR" in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_a_read_ahead_postgresql_would_refuse_fails_at_start_up_naming_the_variable():
    # No server needed: settings are read at start-up, connections made later.
    result = start(DATABASE_URL="postgres://nobody@127.0.0.1:1/x", DB_IO_CONCURRENCY="5000")
    assert result.returncode != 0
    assert "DB_IO_CONCURRENCY" in result.stderr and "at most 1000" in result.stderr
