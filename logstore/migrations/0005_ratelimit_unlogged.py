"""On PostgreSQL, keep rate-limit windows in an UNLOGGED table.

Every API request upserts its key's window. In a logged table that is a WAL flush per request
on top of the log insert's own; unlogged, the upsert commits without waiting on the disk. A
crash empties the table, which only resets the current windows.
"""

from django.db import migrations


def set_unlogged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE logstore_ratelimitwindow SET UNLOGGED")


def set_logged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE logstore_ratelimitwindow SET LOGGED")


class Migration(migrations.Migration):
    dependencies = [("logstore", "0004_reliability")]

    operations = [migrations.RunPython(set_unlogged, set_logged)]
