"""A hand-built week with every edge docs/metrics.md names, and its numbers worked out by hand.

The week under test is 2026-W47: Monday 2026-11-16 00:00 to Monday 2026-11-23 00:00 in
Asia/Shanghai. Records sit at Sunday 23:59 (the week before / the last minute) and at Monday
00:00 (the first minute / the week after).
"""

from decimal import Decimal

import pytest

from billing.models import Order, Refund
from onepco.weeks import Week
from tests import factories as f
from tests.factories import aware

W47 = Week.parse("2026-W47")
W46 = Week.parse("2026-W46")
W48 = Week.parse("2026-W48")


def refund(order: Order, amount: str, status: str, refunded_at=None) -> Refund:
    return Refund.objects.create(
        order=order,
        amount=Decimal(amount),
        status=status,
        refunded_at=refunded_at,
        out_refund_no=f"RF{f.seq()}",
    )


@pytest.fixture
def business(db):
    first_minute, last_minute = aware(2026, 11, 16, 0, 0), aware(2026, 11, 22, 23, 59)
    before, after = aware(2026, 11, 15, 23, 59), aware(2026, 11, 23, 0, 0)

    # --- leads and consultations --------------------------------------------------------
    l1 = f.make_lead(created_at=first_minute, channel="xiaohongshu", utm_content="xhs-tips")
    l2 = f.make_lead(created_at=last_minute, channel="zhihu", utm_content="zhihu-answer")
    l3 = f.make_lead(created_at=before, channel="zhihu", utm_content="zhihu-answer")
    f.make_lead(created_at=after, channel="zhihu")
    spam = f.make_lead(created_at=aware(2026, 11, 18, 10), is_spam=True, channel="xiaohongshu")
    f.make_consultation(l1, status="held", scheduled_at=aware(2026, 11, 16, 10))
    f.make_consultation(l2, status="held", scheduled_at=last_minute)
    f.make_consultation(l3, status="held", scheduled_at=before)
    f.make_consultation(l1, status="no_show", scheduled_at=aware(2026, 11, 17, 10))
    f.make_consultation(l2, status="scheduled", scheduled_at=aware(2026, 11, 19, 10))
    f.make_consultation(spam, status="held", scheduled_at=aware(2026, 11, 18, 11))

    # --- orders and refunds -------------------------------------------------------------
    cohort = f.make_cohort(name="测试期", price=Decimal("1000.00"))
    o1 = f.make_order(cohort, lead=l1, status="paid", paid_at=first_minute, amount=Decimal("1000.00"))
    o2 = f.make_order(
        cohort, lead=l2, status="partially_refunded", paid_at=last_minute, amount=Decimal("2000.50")
    )
    o3 = f.make_order(cohort, lead=l3, status="partially_refunded", paid_at=before, amount=Decimal("999.00"))
    f.make_order(cohort, status="pending")
    f.make_order(cohort, status="paid", paid_at=after, amount=Decimal("500.00"))
    refund(o3, "333.33", "succeeded", aware(2026, 11, 20, 9))  # a W46 deal refunded in W47
    refund(o2, "100.00", "pending")
    refund(o2, "50.00", "succeeded", after)
    refund(o1, "10.00", "failed")

    # --- delivery: one cohort with enrollments starting and ending mid-week --------------
    s1, s2, s3, s4, s5 = (f.make_student() for _ in range(5))
    f.make_enrollment(s1, cohort, enrolled_at=aware(2026, 11, 1))
    f.make_enrollment(s2, cohort, enrolled_at=aware(2026, 11, 18, 12))  # after lesson 1
    f.make_enrollment(s3, cohort, enrolled_at=aware(2026, 11, 1), ended_at=aware(2026, 11, 18, 12))
    # Ends exactly when lesson 2 starts: not "after" it, so not expected there.
    f.make_enrollment(s4, cohort, enrolled_at=aware(2026, 11, 1), ended_at=aware(2026, 11, 19, 19))
    other = f.make_cohort(name="另一期")
    f.make_enrollment(s5, other, enrolled_at=aware(2026, 11, 1))

    lesson0 = f.make_lesson(cohort, starts_at=before)
    lesson1 = f.make_lesson(cohort, starts_at=first_minute)
    lesson2 = f.make_lesson(cohort, starts_at=aware(2026, 11, 19, 19))
    lesson_b = f.make_lesson(other, starts_at=aware(2026, 11, 20, 19))
    f.make_lesson(cohort, starts_at=after)
    f.make_attendance(lesson0, s1, "full")
    f.make_attendance(lesson1, s1, "full")
    f.make_attendance(lesson1, s3, "partial")
    f.make_attendance(lesson1, s4, "absent")
    f.make_attendance(lesson1, s2, "full")  # not enrolled yet: not an expected pair
    f.make_attendance(lesson2, s1, "full")
    f.make_attendance(lesson2, s3, "full")  # enrollment ended: not an expected pair
    f.make_attendance(lesson_b, s5, "partial")
    f.make_attendance(lesson_b, s1, "full")  # not in that cohort

    graded = {"graded_at": aware(2026, 11, 21, 9)}
    as0 = f.make_assignment(cohort, due_at=before)
    as1 = f.make_assignment(cohort, due_at=first_minute)
    as2 = f.make_assignment(cohort, due_at=last_minute)
    f.make_assignment(cohort, due_at=after)
    f.make_submission(as1, s1, attempt=1, score=40, passed=False, **graded)
    f.make_submission(as1, s1, attempt=2, score=80, passed=True, **graded)
    f.make_submission(as1, s3, attempt=1, score=70, passed=True, **graded)
    f.make_submission(as1, s3, attempt=2)  # resubmitted, not graded yet
    f.make_submission(as2, s1, attempt=1, score=90, passed=True, **graded)
    f.make_submission(as2, s1, attempt=2, score=30, passed=False, **graded)  # the latest counts
    f.make_submission(as2, s2, attempt=1, late=True, submitted_at=after)
    f.make_submission(as2, s4, attempt=1, score=99, passed=True, **graded)  # ended before due
    assert as0  # due in W46, nobody submitted

    f.make_assessment(s1, cohort, "entry", 50, taken_at=aware(2026, 11, 1))
    f.make_assessment(s1, cohort, "entry", 70, taken_at=aware(2026, 11, 2))  # not the earliest
    f.make_assessment(s1, cohort, "stage", 55, taken_at=before)
    f.make_assessment(s1, cohort, "stage", 60, taken_at=aware(2026, 11, 18))
    f.make_assessment(s3, cohort, "entry", 40, taken_at=aware(2026, 11, 1))
    f.make_assessment(s3, cohort, "graduation", 40, taken_at=last_minute)  # equal is not higher
    f.make_assessment(s2, other, "entry", 10, taken_at=aware(2026, 11, 1))  # another cohort
    f.make_assessment(s2, cohort, "stage", 90, taken_at=aware(2026, 11, 20))
    f.make_assessment(s4, cohort, "entry", 30, taken_at=aware(2026, 11, 1))
    f.make_assessment(s4, cohort, "stage", 99, taken_at=after)
    return {"cohort": cohort, "students": [s1, s2, s3, s4, s5]}
