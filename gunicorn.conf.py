"""gunicorn settings, read from the working directory: threaded workers (gthread) sharing one
set of Prometheus metrics (prometheus_client's multiprocess mode). The worker class is gthread's,
answering what gunicorn refuses itself (URL or header too long) in the API's JSON error body.

A request spends much of its time waiting on the database, so each worker serves several at
once; docs/benchmarks.md has the measurements against sync workers and granian. Each thread
takes its own database connection from the worker's pool (DB_POOL_MAX_SIZE)."""

import os
import shutil
from pathlib import Path

# Workers inherit this from the master; a second server on the same checkout sets its own.
metrics_dir = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", str(Path(__file__).resolve().parent / "var" / "prometheus")
)


# Long filter URLs (many trace ids) must reach Django, which says what is wrong with them,
# instead of stopping at gunicorn's bare "URI Too Long" page (its default is 4094 bytes).
limit_request_line = 8190
worker_class = "project.gunicorn_worker.JSONErrorThreadWorker"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))


def on_starting(server):
    # A previous run's samples would otherwise be summed with this one's.
    shutil.rmtree(metrics_dir, ignore_errors=True)
    os.makedirs(metrics_dir, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
