"""DataExport and ErasureRecord move from the onepco package to the console app.

Only Django's idea of where the models live changes: the tables keep their names (the models
say db_table), so no row is copied and nothing is locked. onepco's 0004 forgets them there.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import console.models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("onepco", "0003_erasure_records"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="DataExport",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("token", models.CharField(default=console.models.export_token, max_length=64, unique=True, verbose_name="token")),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="requested at")),
                        ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="finished at")),
                        ("expires_at", models.DateTimeField(blank=True, null=True, verbose_name="expires at")),
                        ("file_name", models.CharField(blank=True, max_length=200, verbose_name="file")),
                        ("size", models.PositiveBigIntegerField(blank=True, null=True, verbose_name="size")),
                        ("error", models.TextField(blank=True, verbose_name="error")),
                        ("requested_by", models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="requested by")),
                    ],
                    options={
                        "verbose_name": "data export",
                        "verbose_name_plural": "data exports",
                        "ordering": ["-created_at", "-id"],
                        "db_table": "onepco_dataexport",
                    },
                ),
                migrations.CreateModel(
                    name="ErasureRecord",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("subject", models.CharField(max_length=200, verbose_name="erased records")),
                        ("reason", models.CharField(blank=True, max_length=300, verbose_name="request")),
                        ("erased_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="erased at")),
                        ("summary", models.JSONField(blank=True, default=dict, verbose_name="what was erased")),
                        ("erased_by", models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="erased by")),
                    ],
                    options={
                        "verbose_name": "erasure record",
                        "verbose_name_plural": "erasure records",
                        "ordering": ["-erased_at", "-id"],
                        "db_table": "onepco_erasurerecord",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
