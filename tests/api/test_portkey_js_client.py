"""The official Portkey JS SDK (npm `portkey-ai`), unchanged, against a live server.

Node runs tests/api/js/portkey_client.cjs; the SDK is installed from the npm registry into
tests/api/js/node_modules the first time.
"""

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from logstore.models import Feedback, Log

JS_DIR = Path(__file__).parent / "js"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def node():
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("needs Node.js and npm for the JS SDK")
    if not (JS_DIR / "node_modules" / "portkey-ai").is_dir():
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=JS_DIR,
            check=True,
            timeout=300,
        )
    return node


def run_client(node, base_url, key):
    done = subprocess.run(
        [node, "portkey_client.cjs"],
        cwd=JS_DIR,
        env={**os.environ, "PORTKEY_BASE_URL": base_url, "PORTKEY_API_KEY": key},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


# The JS SDK concatenates strings: a base URL ending in "/" makes it post to /v1//logs.
@pytest.mark.parametrize("suffix", ["/v1", "/v1/", ""])
def test_the_js_sdk_stores_single_and_array_logs_and_feedback(node, live_server, api_key, suffix):
    result = run_client(node, live_server.url + suffix, api_key.raw)

    assert len(result["single"]["log_ids"]) == 1
    assert len(result["batch"]["log_ids"]) == 2  # the array arrives as {"0": …, "1": …}
    users = dict(Log.objects.values_list("id", "user"))
    assert [users[uuid.UUID(i)] for i in result["batch"]["log_ids"]] == ["js-a", "js-b"]
    assert set(Log.objects.values_list("trace_id", flat=True)) == {"js-trace"}
    assert Log.objects.get(user="js-single").total_tokens == 7

    assert result["feedback"]["status"] == "success"
    assert Feedback.objects.get().trace_id == "js-trace"

    assert result["error"]["status"] == 401
    assert "Invalid API key" in result["error"]["message"]
