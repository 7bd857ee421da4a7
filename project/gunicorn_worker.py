"""gunicorn's threaded worker, answering the requests gunicorn refuses itself (a request line or
header past its limits, a malformed request) in the API's JSON error body instead of its HTML
page. Named by `worker_class` in gunicorn.conf.py."""

import json

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

from logstore.core.errors import error_body


def write_json_error(sock, status_int, reason, mesg):
    message = f"{reason}: {mesg}" if mesg else f"{reason}."
    body = json.dumps(error_body(message, reason.lower().replace(" ", "_"))).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


class JSONErrorThreadWorker(ThreadWorker):
    def init_process(self):
        # Worker.handle_error maps each parsing error to its status in one long method and then
        # writes the page with util.write_error; swapping that writer, in this worker process
        # only, keeps gunicorn's statuses and messages as they are, in our shape.
        util.write_error = write_json_error
        super().init_process()
