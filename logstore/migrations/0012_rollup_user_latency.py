from django.db import migrations, models


def forget_rollups_without_user_latency(apps, schema_editor):
    # Rows rolled up before this migration hold no last call nor per-user histogram: dropping
    # them and the mark makes the charts and users page read raw rows until the next refresh.
    apps.get_model("logstore", "ChartRollup").objects.all().delete()
    apps.get_model("logstore", "ChartRollupMark").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("logstore", "0011_rollup_cost"),
    ]

    operations = [
        migrations.AddField(
            model_name="chartrollup",
            name="last_seen",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(forget_rollups_without_user_latency, migrations.RunPython.noop),
    ]
