"""Cost on every log (USD, where its price came from, the usage parts priced apart) and
operators' price overrides. On PostgreSQL, a covering index for per-user aggregates."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


# The users page and cost breakdowns aggregate one workspace's time window; with these columns
# in the index PostgreSQL answers from the index alone, without visiting the (wide) rows.
COVERING_INDEX = (
    "CREATE INDEX log_ws_created_cover_idx ON logstore_log (workspace_id, created_at) "
    'INCLUDE ("user", is_success, total_tokens, cost_usd, latency_ms)'
)


def add_covering_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(COVERING_INDEX)


def drop_covering_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS log_ws_created_cover_idx")


class Migration(migrations.Migration):
    dependencies = [
        ("logstore", "0005_ratelimit_unlogged"),
    ]

    operations = [
        migrations.AddField(
            model_name="log",
            name="cache_write_tokens",
            field=models.PositiveIntegerField(
                blank=True, null=True, help_text="Prompt tokens written to the provider's cache."
            ),
        ),
        migrations.AddField(
            model_name="log",
            name="cached_tokens",
            field=models.PositiveIntegerField(
                blank=True, null=True, help_text="Prompt tokens read from the provider's cache."
            ),
        ),
        migrations.AddField(
            model_name="log",
            name="cost_usd",
            field=models.DecimalField(blank=True, decimal_places=12, max_digits=22, null=True),
        ),
        migrations.AddField(
            model_name="log",
            name="price_ref",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="log",
            name="price_source",
            field=models.CharField(
                blank=True,
                choices=[
                    ("client", "reported by the client"),
                    ("override", "price override"),
                    ("bundled", "bundled price table"),
                    ("", "no price"),
                ],
                default="",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="log",
            name="reasoning_tokens",
            field=models.PositiveIntegerField(
                blank=True, null=True, help_text="Completion tokens spent on reasoning."
            ),
        ),
        migrations.CreateModel(
            name="ModelPrice",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "provider",
                    models.CharField(
                        blank=True,
                        default="",
                        help_text="Empty matches any provider.",
                        max_length=128,
                    ),
                ),
                ("model", models.CharField(max_length=256)),
                (
                    "match",
                    models.CharField(
                        choices=[("exact", "Exact"), ("prefix", "Prefix")],
                        default="exact",
                        max_length=8,
                    ),
                ),
                (
                    "input_per_mtok",
                    models.DecimalField(
                        decimal_places=6, default=0, max_digits=14, verbose_name="input $/M tokens"
                    ),
                ),
                (
                    "output_per_mtok",
                    models.DecimalField(
                        decimal_places=6, default=0, max_digits=14, verbose_name="output $/M tokens"
                    ),
                ),
                (
                    "cached_input_per_mtok",
                    models.DecimalField(
                        blank=True,
                        decimal_places=6,
                        help_text="Empty: cached input costs the input price.",
                        max_digits=14,
                        null=True,
                        verbose_name="cached input $/M tokens",
                    ),
                ),
                ("valid_from", models.DateTimeField(default=django.utils.timezone.now)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "workspace",
                    models.ForeignKey(
                        blank=True,
                        help_text="Empty: applies to every workspace that has no price of its own.",
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="logstore.workspace",
                    ),
                ),
            ],
            options={
                "ordering": ["model", "-valid_from"],
            },
        ),
        migrations.RunPython(add_covering_index, drop_covering_index, elidable=False),
    ]
