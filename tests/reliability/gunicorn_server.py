"""A real `gunicorn` serving this checkout with gunicorn.conf.py, for the tests that need what
only a server does: several workers, its own limits on request lines and headers, its reading
of the socket."""

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.db import connection

from tests.payloads import openai_chat

ROOT = Path(__file__).resolve().parents[2]


def served_database_url(tmp_path) -> str:
    """The test database on PostgreSQL. SQLite's lives in the test's memory, out of the server's
    reach, so there the server gets an empty file: enough for what gunicorn itself answers."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return f"sqlite:///{tmp_path / 'unreachable.sqlite3'}"


class Server:
    def __init__(self, tmp_path, workers=3, **env):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.served = []  # (worker pid, status), from gunicorn's access log
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "project.wsgi",
                f"--bind=127.0.0.1:{self.port}",
                f"--workers={workers}",
                "--access-logfile=-",
                "--access-logformat=served %(p)s %(s)s",
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "DATABASE_URL": served_database_url(tmp_path),
                "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
                "LOG_LEVEL": "WARNING",
                **env,
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        threading.Thread(target=self._read_access_log, daemon=True).start()
        deadline = time.monotonic() + 60
        while self.get("/healthz") != 200:
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)

    def _read_access_log(self):
        for line in self.process.stdout:
            parts = line.split()
            if len(parts) == 3 and parts[0] == "served":
                self.served.append((int(parts[1].strip("<>")), int(parts[2])))

    def request(self, method, path, body=None, headers=None, timeout=30):
        return self.exchange(method, path, body, headers, timeout).status

    def exchange(self, method, path, body=None, headers=None, timeout=30):
        """The response, already read: `.status`, `.getheader()` and `.body`."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            response.body = response.read()
            return response
        finally:
            conn.close()

    def raw(self, data: bytes, *, half_close=False, timeout=30) -> http.client.HTTPResponse:
        """`data` written as is; `half_close` then shuts the write side, as a client that stops
        sending does. Returns the response, read."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
            sock.sendall(data)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
            response = http.client.HTTPResponse(sock)
            response.begin()
            response.body = response.read()
            return response

    def get(self, path):
        try:
            return self.request("GET", path, timeout=5)
        except OSError:
            return None

    def post_log(self, raw_key):
        return self.request(
            "POST",
            "/v1/logs",
            json.dumps(openai_chat()).encode(),
            {"Content-Type": "application/json", "x-portkey-api-key": raw_key},
        )

    def burst(self, raw_key, count, threads=6):
        """Concurrent requests, so that every worker takes some."""
        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(lambda _: self.post_log(raw_key), range(count)))

    def workers(self, since=0, status=None):
        return {pid for pid, s in self.served[since:] if status is None or s == status}

    def worker_pids(self):
        out = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False
        )
        return {int(pid) for pid in out.stdout.split()}

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)
