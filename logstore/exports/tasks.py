"""Background tasks, run by Django's tasks framework (the database worker: `db_worker`)."""

from django.tasks import task

from logstore.exports import jobs as exports


@task
def run_export(export_id: str) -> str:
    return exports.run_export(export_id)


def enqueue_export(export_id: str):
    return run_export.enqueue(export_id)
