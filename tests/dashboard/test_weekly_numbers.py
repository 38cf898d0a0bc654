"""Every weekly number of docs/metrics.md against a hand-built dataset, worked out by hand."""

from decimal import Decimal

from dashboard.selectors import weekly_numbers, weekly_numbers_range
from onepco.weeks import Week
from tests.dashboard.conftest import W46, W47, W48


def test_the_ten_numbers_of_a_week_are_exactly_as_defined(business):
    n = weekly_numbers(W47)
    # Leads at Monday 00:00 and Sunday 23:59 count; the spam lead does not.
    assert n.leads == 2
    # Held consultations only, spam's excluded.
    assert n.consultations == 2
    assert n.deals == 2
    assert n.conversion_rate == 1.0
    assert n.revenue == Decimal("3000.50")
    # The refund of a W46 deal counts in W47, when it succeeded; pending and failed ones never.
    assert n.refunded == Decimal("333.33")
    assert n.refund_rate == float(Decimal("333.33") / Decimal("3000.50"))
    # Expected pairs: lesson 1 × (s1, s3, s4), lesson 2 × (s1, s2), cohort B's lesson × s5.
    assert (n.attendance_expected, n.attendance_full, n.attendance_partial) == (6, 2, 2)
    assert n.attendance_rate == 4 / 6
    assert n.completion_rate == 2 / 6
    # Pairs: as1 × (s1, s3, s4), as2 × (s1, s2); s2's late submission counts.
    assert (n.submission_expected, n.submission_submitted) == (5, 4)
    assert n.submission_rate == 4 / 5
    # Graded pairs: as1 s1 (latest graded passed), as1 s3 (attempt 1 passed), as2 s1 (latest failed).
    assert (n.pass_graded, n.pass_passed) == (3, 2)
    assert n.pass_rate == 2 / 3
    # s1's stage 60 beats the earliest entry 50 (not the later 70); s3's 40 only equals 40;
    # s2 has no entry score in this cohort.
    assert (n.improvement_measured, n.improvement_improved) == (2, 1)
    assert n.improvement_rate == 0.5
    # 3000.50 × 2/6 × 2/3 = 666.777… → 666.78 (half up).
    assert n.effective_revenue == Decimal("666.78")


def test_the_week_before_gets_the_sunday_2359_records(business):
    n = weekly_numbers(W46)
    assert (n.leads, n.consultations, n.deals, n.revenue) == (1, 1, 1, Decimal("999.00"))
    assert n.refund_rate == 0.0  # revenue but no refund: zero, not undefined
    assert (n.attendance_expected, n.attendance_full) == (3, 1)
    assert (n.submission_expected, n.submission_submitted, n.submission_rate) == (3, 0, 0.0)
    assert n.pass_rate is None  # nothing graded
    assert n.effective_revenue is None
    assert (n.improvement_measured, n.improvement_improved) == (1, 1)


def test_the_week_after_gets_the_monday_0000_records(business):
    n = weekly_numbers(W48)
    assert (n.leads, n.deals, n.revenue, n.refunded) == (1, 1, Decimal("500.00"), Decimal("50.00"))
    assert n.refund_rate == 0.1
    assert n.consultations == 0 and n.conversion_rate is None
    assert (n.improvement_measured, n.improvement_improved) == (1, 1)


def test_a_week_without_anything_has_zero_counts_and_undefined_rates(db):
    n = weekly_numbers(Week.parse("2026-W10"))
    assert (n.leads, n.consultations, n.deals, n.revenue) == (0, 0, 0, Decimal("0.00"))
    for rate in ("conversion_rate", "refund_rate", "attendance_rate", "submission_rate", "pass_rate"):
        assert getattr(n, rate) is None
    assert n.improvement_rate is None and n.completion_rate is None and n.effective_revenue is None


def test_a_range_gives_each_week_the_same_numbers_as_computing_it_alone(business):
    weeks = weekly_numbers_range(W46, W48)
    assert [n.week for n in weeks] == [W46, W47, W48]
    for n in weeks:
        alone = weekly_numbers(n.week)
        assert n.counts() == alone.counts()
