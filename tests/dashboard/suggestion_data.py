"""Hand-built weeks for the suggestion rules: 2026-W47 read against W43–W46.

Each builder makes one rule's story and returns what a test needs to name; every number is
small enough to count by hand.
"""

from datetime import timedelta

from cohorts.models import Assignment, Cohort, Lesson, Student
from crm.models import Lead
from onepco.weeks import Week
from tests import factories as f

W47 = Week.parse("2026-W47")
W48 = W47.next()
BEFORE = [W47.shifted(-i) for i in (4, 3, 2, 1)]  # W43, W44, W45, W46


def at(week: Week, day: int = 1, hour: int = 10):
    """A moment inside `week`: Monday + `day` days, at `hour` o'clock."""
    return week.start + timedelta(days=day, hours=hour)


def consultations(
    week: Week, held: int, deals: int = 0, *, follow_up=None, channel: str = "", cohort: Cohort | None = None
) -> list[Lead]:
    """`held` leads created and consulted in `week`, the first `deals` of them paid that week;
    the others open (consulting) with `follow_up` as their next follow-up date."""
    cohort = cohort or f.make_cohort()
    leads = []
    for i in range(held):
        paid = i < deals
        lead = f.make_lead(
            created_at=at(week, 0),
            channel=channel,
            status=Lead.Status.WON if paid else Lead.Status.CONSULTING,
            next_follow_up_on=follow_up,
        )
        f.make_consultation(lead, status="held", scheduled_at=at(week, 1))
        if paid:
            f.make_order(cohort, lead=lead, status="paid", paid_at=at(week, 2))
        leads.append(lead)
    return leads


def closing_well_before(cohort: Cohort | None = None) -> None:
    """W43–W46: 8 consultations, 4 deals (50%)."""
    for week in BEFORE:
        consultations(week, 2, deals=1, follow_up=week.sunday, cohort=cohort)


def class_of(size: int) -> tuple[Cohort, list[Student]]:
    cohort = f.make_cohort(name="周末班")
    students = [f.make_student(f.make_user(name=f"学员{i}")) for i in range(size)]
    for student in students:
        f.make_enrollment(student, cohort, enrolled_at=at(BEFORE[0], 0) - timedelta(days=7))
    return cohort, students


def lesson_with(cohort: Cohort, students: list[Student], week: Week, present: int, title: str = "") -> Lesson:
    """A lesson of `week` where the first `present` students came, the next one is marked
    absent and the rest have no record."""
    lesson = f.make_lesson(cohort, starts_at=at(week, 2, 19), title=title or f"课 {f.seq()}")
    for i, student in enumerate(students):
        if i < present:
            f.make_attendance(lesson, student, "full" if i % 2 == 0 else "partial")
        elif i == present:
            f.make_attendance(lesson, student, "absent")
    return lesson


def attending_well_before(cohort: Cohort, students: list[Student]) -> None:
    """W43–W46: one lesson a week, everybody there (100%)."""
    for week in BEFORE:
        lesson_with(cohort, students, week, present=len(students))


def leads_of(channel: str, weeks: list[Week], per_week: int) -> list[Lead]:
    return [f.make_lead(created_at=at(week, 3), channel=channel) for week in weeks for _ in range(per_week)]


def assignment_graded(
    cohort: Cohort, students: list[Student], week: Week, passed: int, title: str = ""
) -> Assignment:
    """An assignment due in `week`, every student graded, the first `passed` passing (a student
    who failed first and passed on a second attempt counts as passed: the latest counts)."""
    assignment = f.make_assignment(cohort, due_at=at(week, 4, 23), title=title or f"作业 {f.seq()}")
    graded = at(week, 5)
    for i, student in enumerate(students):
        if i == 0 and passed:
            f.make_submission(assignment, student, attempt=1, score=30, passed=False, graded_at=graded)
            f.make_submission(assignment, student, attempt=2, score=80, passed=True, graded_at=graded)
        else:
            ok = i < passed
            f.make_submission(assignment, student, score=80 if ok else 30, passed=ok, graded_at=graded)
    return assignment
