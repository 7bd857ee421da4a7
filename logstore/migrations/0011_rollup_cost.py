from django.db import migrations, models


def forget_rollups_without_cost(apps, schema_editor):
    # Rows rolled up before this migration hold no cost: dropping them and the mark makes
    # charts read raw rows until the next refresh rebuilds them.
    apps.get_model("logstore", "ChartRollup").objects.all().delete()
    apps.get_model("logstore", "ChartRollupMark").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("logstore", "0010_log_search"),
    ]

    operations = [
        migrations.AddField(
            model_name="chartrollup",
            name="cost_usd",
            field=models.DecimalField(blank=True, decimal_places=12, max_digits=22, null=True),
        ),
        migrations.AddField(
            model_name="chartrollup",
            name="unpriced",
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.RunPython(forget_rollups_without_cost, migrations.RunPython.noop),
    ]
