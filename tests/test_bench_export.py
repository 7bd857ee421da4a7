"""The benchmark's export measure runs against the app's export path as it is today."""

import json

import pytest

from bench import export
from tests.payloads import openai_chat

pytestmark = pytest.mark.django_db


def test_the_bench_export_streams_every_log_of_the_workspace(api_key, post_logs, capsys):
    post_logs([openai_chat(f"user-{i}") for i in range(5)])
    export.main(["--workspace", api_key.workspace.slug])
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["rows"] == 5 and report["peak_rss_mb"] > 0
