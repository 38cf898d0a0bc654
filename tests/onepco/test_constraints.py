"""The database refuses dishonest data, whatever code path tries to write it."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.models import Order, PaymentEvent, Refund
from cohorts.models import Attendance, Enrollment, Submission
from crm.models import Consultation, Lead
from dashboard.models import WeeklyMetrics
from tests import factories as f


def refused(make) -> bool:
    try:
        with transaction.atomic():
            make()
    except IntegrityError:
        return True
    return False


@pytest.fixture
def cohort(db):
    return f.make_cohort()


def test_order_numbers_are_unique(cohort):
    order = f.make_order(cohort)
    assert refused(lambda: f.make_order(cohort, number=order.number))


def test_money_is_positive_and_never_negative(cohort):
    assert refused(lambda: f.make_order(cohort, amount=Decimal("0")))
    assert refused(lambda: f.make_order(cohort, amount=Decimal("-1.00")))
    assert refused(lambda: f.make_cohort(price=Decimal("-0.01")))
    order = f.make_order(cohort, status=Order.Status.PAID)
    assert refused(lambda: Refund.objects.create(order=order, amount=Decimal("0"), out_refund_no="R1"))


def test_a_paid_order_has_a_payment_time(cohort):
    assert refused(lambda: Order.objects.create(cohort=cohort, buyer_name="x", amount=1, status="paid"))


def test_a_provider_trade_number_belongs_to_one_order(cohort):
    f.make_order(cohort, provider="alipay", provider_trade_no="2026112222001")
    assert refused(lambda: f.make_order(cohort, provider="alipay", provider_trade_no="2026112222001"))
    f.make_order(cohort, provider="wechat", provider_trade_no="2026112222001")  # another provider: fine


def test_one_provider_event_is_applied_at_most_once(cohort):
    PaymentEvent.objects.create(provider="stripe", event_id="evt_1", outcome="applied")
    PaymentEvent.objects.create(provider="stripe", event_id="evt_1", outcome="duplicate")  # stored, fine
    assert refused(
        lambda: PaymentEvent.objects.create(provider="stripe", event_id="evt_1", outcome="applied")
    )


def test_one_attendance_per_lesson_and_student(cohort):
    lesson = f.make_lesson(cohort)
    learner = f.make_student()
    f.make_attendance(lesson, learner)
    assert refused(lambda: f.make_attendance(lesson, learner, "absent"))
    assert refused(lambda: Attendance.objects.create(lesson=lesson, student=f.make_student(), status="late"))


def test_one_enrollment_per_student_and_cohort(cohort):
    learner = f.make_student()
    f.make_enrollment(learner, cohort)
    assert refused(lambda: f.make_enrollment(learner, cohort))


def test_an_enrollment_cannot_end_before_it_starts(cohort):
    now = timezone.now()
    assert refused(
        lambda: Enrollment.objects.create(
            student=f.make_student(),
            cohort=cohort,
            enrolled_at=now,
            ended_at=now - timezone.timedelta(days=1),
        )
    )


@pytest.mark.parametrize("score", ["-1", "100.01", "150"])
def test_scores_stay_between_0_and_100(cohort, score):
    learner = f.make_student()
    assignment = f.make_assignment(cohort)
    assert refused(lambda: f.make_assessment(learner, cohort, "entry", score))
    assert refused(lambda: f.make_submission(assignment, learner, score=Decimal(score), passed=True))
    assert refused(lambda: f.make_assignment(cohort, pass_mark=Decimal(score)))


def test_attempts_are_unique_and_a_graded_submission_has_a_verdict(cohort):
    learner = f.make_student()
    assignment = f.make_assignment(cohort)
    f.make_submission(assignment, learner, attempt=1)
    assert refused(lambda: f.make_submission(assignment, learner, attempt=1))
    assert refused(lambda: f.make_submission(assignment, learner, attempt=0))
    assert refused(lambda: f.make_submission(assignment, learner, attempt=2, graded_at=timezone.now()))
    assert Submission.objects.count() == 1


def test_a_held_consultation_has_a_time(db):
    lead = f.make_lead()
    assert refused(lambda: Consultation.objects.create(lead=lead, status="held"))
    assert refused(lambda: Consultation.objects.create(lead=lead, status="maybe"))


def test_a_lead_is_unique_by_email_case_insensitively_and_by_phone(db):
    f.make_lead(email="Same@Example.com", phone="+8613800138000")
    assert refused(lambda: Lead.objects.create(name="x", email="same@example.com"))
    assert refused(lambda: Lead.objects.create(name="x", phone="+8613800138000"))
    Lead.objects.create(name="spam", email="same@example.com", is_spam=True)  # spam is kept apart


def test_a_real_lead_has_an_email_or_a_phone(db):
    assert refused(lambda: Lead.objects.create(name="nobody"))


def test_cohort_dates_and_capacity_make_sense(db):
    from datetime import date

    assert refused(lambda: f.make_cohort(starts_on=date(2026, 3, 1), ends_on=date(2026, 2, 1)))
    assert refused(lambda: f.make_cohort(capacity=0))


def test_weekly_numerators_never_exceed_their_denominators(db):
    from datetime import date

    assert refused(
        lambda: WeeklyMetrics.objects.create(
            week="2026-W47", week_start=date(2026, 11, 16), pass_graded=3, pass_passed=4
        )
    )
    WeeklyMetrics.objects.create(week="2026-W47", week_start=date(2026, 11, 16))
    assert refused(lambda: WeeklyMetrics.objects.create(week="2026-W47", week_start=date(2026, 11, 23)))
