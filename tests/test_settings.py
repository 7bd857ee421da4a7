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
