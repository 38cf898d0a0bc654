"""Writes of the delivery loop. Other apps enroll and end enrollments only through here."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from cohorts.models import Cohort, Enrollment, Student


@transaction.atomic
def student_get_or_create(
    *, user: User, lead=None, phone: str = "", wechat: str = ""
) -> tuple[Student, bool]:
    """The learner profile of a user, created on first enrollment; fills what it lacks."""
    student, created = Student.objects.select_for_update().get_or_create(
        user=user, defaults={"lead": lead, "phone": phone, "wechat": wechat}
    )
    if not created:
        changed = []
        for field, value in (("lead", lead), ("phone", phone), ("wechat", wechat)):
            if value and not getattr(student, field):
                setattr(student, field, value)
                changed.append(field)
        if changed:
            student.save(update_fields=changed)
    return student, created


@transaction.atomic
def enrollment_create(
    *, student: Student, cohort: Cohort, enrolled_at: datetime | None = None
) -> tuple[Enrollment, bool]:
    """Put a student in a cohort. Idempotent: an existing enrollment is returned unchanged,
    except that one which had ended (dropped / refunded) becomes active again."""
    enrollment, created = Enrollment.objects.select_for_update().get_or_create(
        student=student, cohort=cohort, defaults={"enrolled_at": enrolled_at or timezone.now()}
    )
    if not created and enrollment.status in (Enrollment.Status.DROPPED, Enrollment.Status.REFUNDED):
        enrollment.status = Enrollment.Status.ACTIVE
        enrollment.enrolled_at = enrolled_at or timezone.now()
        enrollment.ended_at = None
        enrollment.save(update_fields=["status", "enrolled_at", "ended_at"])
    return enrollment, created


@transaction.atomic
def enrollment_end(*, enrollment: Enrollment, status: str, ended_at: datetime | None = None) -> Enrollment:
    """End an enrollment as dropped or refunded (it stops counting from ended_at on)."""
    if status not in (Enrollment.Status.DROPPED, Enrollment.Status.REFUNDED):
        raise ValueError(f"an enrollment ends as dropped or refunded, not {status!r}")
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    enrollment.status = status
    enrollment.ended_at = max(ended_at or timezone.now(), enrollment.enrolled_at)
    enrollment.save(update_fields=["status", "ended_at"])
    return enrollment
