"""Graduated enrollments end at graduation: ended_at = graduated_at where it was left empty.

From now on `enrollment_graduate` sets both; before, a graduate stayed "expected" at any later
lesson or assignment of the cohort (PRODUCT.md defines expected by enrolled_at / ended_at).
Frozen weekly snapshots are not touched; a week recomputed live uses the corrected rows.
"""

from django.db import migrations
from django.db.models import F
from django.db.models.functions import Greatest


def end_at_graduation(apps, schema_editor):
    Enrollment = apps.get_model("cohorts", "Enrollment")
    Enrollment.objects.filter(status="graduated", ended_at__isnull=True, graduated_at__isnull=False).update(
        ended_at=Greatest(F("graduated_at"), F("enrolled_at"))
    )


class Migration(migrations.Migration):
    dependencies = [("cohorts", "0002_graduation_reports_due_reminders_feedback_email")]

    operations = [migrations.RunPython(end_at_graduation, migrations.RunPython.noop)]
