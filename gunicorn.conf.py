"""gunicorn settings, read from the working directory: several workers sharing one set of
Prometheus metrics (prometheus_client's multiprocess mode)."""

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


def on_starting(server):
    # A previous run's samples would otherwise be summed with this one's.
    shutil.rmtree(metrics_dir, ignore_errors=True)
    os.makedirs(metrics_dir, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
