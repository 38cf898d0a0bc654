"""A cohort's timetable in bulk: the lesson schedule generator and the copy from a previous
cohort of the same course. Plans are pure (dates in, planned rows out) so the console can show
them before anything is written; the two writes lock the cohort row and check again inside
the transaction, so a double submit creates nothing twice.

Times are wall-clock times in the site's time zone (settings.TIME_ZONE): a lesson at 20:00
stays at 20:00 local whatever the UTC offset of its date.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from cohorts.models import Assignment, Cohort, FeedbackTemplate, Lesson

WEEKDAYS = [
    (0, pgettext_lazy("weekday", "Mon")),
    (1, pgettext_lazy("weekday", "Tue")),
    (2, pgettext_lazy("weekday", "Wed")),
    (3, pgettext_lazy("weekday", "Thu")),
    (4, pgettext_lazy("weekday", "Fri")),
    (5, pgettext_lazy("weekday", "Sat")),
    (6, pgettext_lazy("weekday", "Sun")),
]
MONTH_DAY = gettext_lazy("%(month)s/%(day)s")


def date_text(day: date) -> str:
    """12月8日 周二 (zh) / Tue 12/8 (en)."""
    weekday = str(WEEKDAYS[day.weekday()][1])
    return _("%(date)s %(weekday)s") % {
        "date": str(MONTH_DAY) % {"month": day.month, "day": day.day},
        "weekday": weekday,
    }


def when_text(moment: datetime, tz: tzinfo | None = None) -> str:
    """12月8日 周二 20:00, in the site's time zone."""
    local = timezone.localtime(moment, tz or timezone.get_default_timezone())
    return f"{date_text(local.date())} {local:%H:%M}"


def local_moment(day: date, clock: time, tz: tzinfo | None = None) -> datetime:
    """That wall-clock time on that day in the site's time zone, as an aware datetime."""
    return datetime.combine(day, clock.replace(tzinfo=None), tzinfo=tz or timezone.get_default_timezone())


def shift_local(moment: datetime, days: int, tz: tzinfo | None = None) -> datetime:
    """The same clock time `days` later in the site's time zone (not `days` × 24 hours: across a
    daylight-saving change the UTC offset differs, the lesson stays at 20:00 local)."""
    zone = tz or timezone.get_default_timezone()
    local = timezone.localtime(moment, zone)
    return local_moment(local.date() + timedelta(days=days), local.time(), zone)


# --- the schedule generator ------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleRow:
    """One line of the pattern: every chosen weekday at this time, with this title."""

    title: str
    weekdays: tuple[int, ...]
    clock: time
    duration_minutes: int = 90


@dataclass(frozen=True)
class PlannedLesson:
    row: int  # index of the ScheduleRow it comes from
    title: str
    starts_at: datetime
    duration_minutes: int

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)


@dataclass
class SchedulePlan:
    lessons: list[PlannedLesson]
    skipped: list[date] = field(default_factory=list)  # skip dates that removed a lesson
    unused_skips: list[date] = field(default_factory=list)  # skip dates no lesson fell on

    @property
    def digest(self) -> str:
        """A fingerprint of what would be created: the create button carries the one of the
        preview the founder read, so a pattern changed after it is previewed again first."""
        text = "\n".join(
            f"{lesson.starts_at.isoformat()}|{lesson.duration_minutes}|{lesson.title}"
            for lesson in self.lessons
        )
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def title_fill(pattern: str, *, n: int, week: int) -> str:
    """ "直播 第{n}讲" → "直播 第3讲"; {week} is the week's number. Nothing else is interpreted."""
    return pattern.replace("{n}", str(n)).replace("{week}", str(week))


def schedule_plan(
    *,
    rows: list[ScheduleRow],
    first_day: date,
    weeks: int,
    skip: set[date] | frozenset[date] = frozenset(),
    tz: tzinfo | None = None,
) -> SchedulePlan:
    """The lessons a pattern makes: week 1 is the seven days from first_day, week 2 the next
    seven, and so on. A lesson that falls on a skip date is left out (not moved): the numbers
    in the titles run on without a gap."""
    zone = tz or timezone.get_default_timezone()
    lessons: list[PlannedLesson] = []
    skipped: set[date] = set()
    counts = [0] * len(rows)
    for week in range(weeks):
        days = [first_day + timedelta(days=7 * week + offset) for offset in range(7)]
        for day in days:
            for index, row in enumerate(rows):
                if day.weekday() not in row.weekdays:
                    continue
                if day in skip:
                    skipped.add(day)
                    continue
                counts[index] += 1
                lessons.append(
                    PlannedLesson(
                        row=index,
                        title=title_fill(row.title, n=counts[index], week=week + 1)[:200],
                        starts_at=local_moment(day, row.clock, zone),
                        duration_minutes=row.duration_minutes,
                    )
                )
    lessons.sort(key=lambda lesson: (lesson.starts_at, lesson.row))
    return SchedulePlan(lessons=lessons, skipped=sorted(skipped), unused_skips=sorted(set(skip) - skipped))


def _overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


def schedule_clashes(*, cohort: Cohort, lessons: list[PlannedLesson]) -> list[tuple[PlannedLesson, str]]:
    """Each planned lesson that overlaps a lesson already in the cohort or an earlier one of
    the same plan, with the title of the one it meets."""
    if not lessons:
        return []
    first = min(lesson.starts_at for lesson in lessons) - timedelta(days=1)
    last = max(lesson.ends_at for lesson in lessons)
    existing = [
        (lesson.starts_at, lesson.starts_at + timedelta(minutes=lesson.duration_minutes), lesson.title)
        for lesson in Lesson.objects.filter(cohort=cohort, starts_at__gte=first, starts_at__lt=last)
    ]
    clashes = []
    taken: list[tuple[datetime, datetime, str]] = []
    for planned in lessons:
        for start, end, title in (*existing, *taken):
            if _overlaps(planned.starts_at, planned.ends_at, start, end):
                clashes.append((planned, title))
                break
        taken.append((planned.starts_at, planned.ends_at, planned.title))
    return clashes


@transaction.atomic
def lessons_schedule_create(*, cohort: Cohort, lessons: list[PlannedLesson]) -> list[Lesson]:
    """Create the planned lessons in one go. The cohort row is locked and the plan checked
    again for clashes, so the same plan submitted twice is refused the second time."""
    Cohort.objects.select_for_update().get(pk=cohort.pk)
    clashes = schedule_clashes(cohort=cohort, lessons=lessons)
    if clashes:
        planned, title = clashes[0]
        raise ValidationError(
            _("%(when)s clashes with “%(title)s”: nothing was created.")
            % {"when": when_text(planned.starts_at), "title": title}
        )
    rows = [
        Lesson(
            cohort=cohort,
            title=planned.title,
            starts_at=planned.starts_at,
            duration_minutes=planned.duration_minutes,
        )
        for planned in lessons
    ]
    for row in rows:
        # No query per lesson: the cohort is the row locked above, and the database itself
        # enforces the check constraints on values the form has already bounded.
        row.full_clean(exclude=["cohort"], validate_constraints=False)
    return Lesson.objects.bulk_create(rows)


# --- copy from a previous cohort -------------------------------------------------------------


@dataclass
class CopyPlan:
    source: Cohort
    target: Cohort
    days: int  # how far every date moves
    lessons: list[tuple[Lesson, datetime]]  # (the source lesson, its new start)
    assignments: list[tuple[Assignment, datetime]]  # (the source assignment, its new due time)
    feedback_templates: list[FeedbackTemplate]  # shared by every cohort: nothing to copy
    instructions: str  # the e-mail text that would be copied, "" when none is
    keeps_own_instructions: bool  # the target already has its own text: it is kept

    @property
    def days_earlier(self) -> int:
        return -self.days

    @property
    def weekdays_change(self) -> bool:
        return self.days % 7 != 0


def copy_candidates(target: Cohort):
    """The cohorts of the same course a cohort may copy from, the latest first."""
    return (
        Cohort.objects.filter(course_id=target.course_id)
        .exclude(pk=target.pk)
        .select_related("course")
        .order_by("-starts_on", "-id")
    )


def cohort_copy_refusal(target: Cohort) -> str:
    """Why a cohort cannot receive a copy ("" when it can): copying fills an empty timetable,
    it never adds a second set beside the first."""
    if Lesson.objects.filter(cohort=target).exists() or Assignment.objects.filter(cohort=target).exists():
        return _(
            "This cohort already has lessons or assignments. Copying fills an empty cohort only, "
            "so nothing is ever copied twice: change them one by one instead."
        )
    return ""


def cohort_copy_plan(*, source: Cohort, target: Cohort, tz: tzinfo | None = None) -> CopyPlan:
    days = (target.starts_on - source.starts_on).days
    own = bool(target.enrollment_instructions.strip())
    return CopyPlan(
        source=source,
        target=target,
        days=days,
        lessons=[
            (lesson, shift_local(lesson.starts_at, days, tz))
            for lesson in Lesson.objects.filter(cohort=source)
        ],
        assignments=[
            (assignment, shift_local(assignment.due_at, days, tz))
            for assignment in Assignment.objects.filter(cohort=source)
        ],
        feedback_templates=list(FeedbackTemplate.objects.filter(is_active=True)),
        instructions="" if own else source.enrollment_instructions,
        keeps_own_instructions=own,
    )


@transaction.atomic
def cohort_copy_from(*, source: Cohort, target: Cohort, tz: tzinfo | None = None) -> CopyPlan:
    """Copy a previous cohort's lessons (titles, lengths, notes; not its links or recordings),
    assignments (instructions, standard, pass mark, due time) and enrollment e-mail text into
    an empty cohort, every date moved by the difference between the two start dates.

    Raises ValidationError when the target already has lessons or assignments (a second
    submit of the same copy lands here: the target row is locked first)."""
    if source.course_id != target.course_id or source.pk == target.pk:
        raise ValidationError(_("Copy from another cohort of the same course."))
    target = Cohort.objects.select_for_update().get(pk=target.pk)
    refusal = cohort_copy_refusal(target)
    if refusal:
        raise ValidationError(refusal)
    plan = cohort_copy_plan(source=source, target=target, tz=tz)
    lessons = [
        Lesson(
            cohort=target,
            title=lesson.title,
            starts_at=starts_at,
            duration_minutes=lesson.duration_minutes,
            notes=lesson.notes,
        )
        for lesson, starts_at in plan.lessons
    ]
    assignments = [
        Assignment(
            cohort=target,
            title=assignment.title,
            instructions=assignment.instructions,
            standard=assignment.standard,
            due_at=due_at,
            pass_mark=assignment.pass_mark,
            is_graduation_project=assignment.is_graduation_project,
            accepts_late=assignment.accepts_late,
        )
        for assignment, due_at in plan.assignments
    ]
    for row in (*lessons, *assignments):
        # No query per row: the target is the row locked above, and the copied values come from
        # rows that passed the same check constraints (which the database enforces anyway).
        row.full_clean(exclude=["cohort"], validate_constraints=False)
    Lesson.objects.bulk_create(lessons)
    Assignment.objects.bulk_create(assignments)
    if plan.instructions:
        target.enrollment_instructions = plan.instructions
        target.save(update_fields=["enrollment_instructions"])
    return plan
