"""Calendar feed tokens (students, cohorts), students' referral codes, lesson reminders (#16).

The tokens and codes are unique per row, so existing rows get theirs one by one before the
columns become unique and required.
"""

import secrets

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

import cohorts.models


def fill(apps, schema_editor):
    Student = apps.get_model("cohorts", "Student")
    Cohort = apps.get_model("cohorts", "Cohort")
    used: set[str] = set()
    alphabet, length = cohorts.models.REFERRAL_ALPHABET, cohorts.models.REFERRAL_LENGTH
    for student in Student.objects.only("pk").order_by("pk"):
        code = ""
        while not code or code in used:
            code = "".join(secrets.choice(alphabet) for _ in range(length))
        used.add(code)
        Student.objects.filter(pk=student.pk).update(
            referral_code=code, calendar_token=cohorts.models.calendar_token_new()
        )
    for cohort in Cohort.objects.only("pk"):
        Cohort.objects.filter(pk=cohort.pk).update(calendar_token=cohorts.models.calendar_token_new())


class Migration(migrations.Migration):
    dependencies = [
        ("cohorts", "0007_online_tests"),
    ]

    operations = [
        migrations.AddField(
            model_name="cohort",
            name="calendar_token",
            field=models.CharField(editable=False, max_length=64, null=True, verbose_name="calendar feed token"),
        ),
        migrations.AddField(
            model_name="student",
            name="calendar_token",
            field=models.CharField(editable=False, max_length=64, null=True, verbose_name="calendar feed token"),
        ),
        migrations.AddField(
            model_name="student",
            name="referral_code",
            field=models.CharField(editable=False, max_length=16, null=True, verbose_name="referral code"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="cohort",
            name="calendar_token",
            field=models.CharField(
                default=cohorts.models.calendar_token_new,
                editable=False,
                max_length=64,
                unique=True,
                verbose_name="calendar feed token",
            ),
        ),
        migrations.AlterField(
            model_name="student",
            name="calendar_token",
            field=models.CharField(
                default=cohorts.models.calendar_token_new,
                editable=False,
                max_length=64,
                unique=True,
                verbose_name="calendar feed token",
            ),
        ),
        migrations.AlterField(
            model_name="student",
            name="referral_code",
            field=models.CharField(
                default=cohorts.models.referral_code_new,
                editable=False,
                max_length=16,
                unique=True,
                verbose_name="referral code",
            ),
        ),
        migrations.CreateModel(
            name="LessonReminder",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("day", "24 hours before"), ("hour", "1 hour before")],
                        max_length=8,
                        verbose_name="kind",
                    ),
                ),
                ("lesson_starts_at", models.DateTimeField(verbose_name="lesson starts at")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="created at")),
                ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="sent at")),
                (
                    "lesson",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="reminders",
                        to="cohorts.lesson",
                        verbose_name="lesson",
                    ),
                ),
                (
                    "student",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="lesson_reminders",
                        to="cohorts.student",
                        verbose_name="student",
                    ),
                ),
            ],
            options={
                "verbose_name": "lesson reminder",
                "verbose_name_plural": "lesson reminders",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("lesson", "student", "kind", "lesson_starts_at"), name="lesson_reminder_unique"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("kind__in", ["day", "hour"])), name="lesson_reminder_kind_valid"
                    ),
                ],
            },
        ),
    ]
