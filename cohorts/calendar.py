"""Calendar feeds (.ics, RFC 5545, built with icalendar): what a student's or a founder's phone
subscribes to, and the one-lesson file behind "add to calendar".

- A student's feed: every lesson and every due time of their active enrollments, at
  /calendar/s/<token>.ics (Student.calendar_token; a new token kills the old address).
- A cohort's feed, for the founder: the same for one cohort, at /calendar/c/<token>.ics or,
  signed in as staff, /console/cohorts/<id>/calendar.ics.
- A lesson's file: /learn/lessons/<id>/calendar.ics, for a signed-in student of its cohort.

Every event has a UID that never changes (lesson-<id>@<host>, assignment-<id>@<host>), so a
calendar app that reads the feed again, or imports a lesson's file twice, updates the event
instead of adding a second one. Times carry the site's time zone (TZID plus its VTIMEZONE),
so a phone set to another zone still shows the lesson at the right moment.
"""

from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Alarm, Calendar, Event

from cohorts.models import Assignment, Cohort, Enrollment, Lesson, Student
from onepco.site import site_name

# How often a subscribed calendar should read the feed again (apps may read less often).
REFRESH = timedelta(hours=1)
ALARM_BEFORE = timedelta(minutes=15)


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "onepco"


def lesson_uid(lesson: Lesson) -> str:
    return f"lesson-{lesson.pk}@{_host()}"


def assignment_uid(assignment: Assignment) -> str:
    return f"assignment-{assignment.pk}@{_host()}"


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//onepco//calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH)
    return calendar


def _lesson_event(lesson: Lesson, stamp: datetime) -> Event:
    cohort = lesson.cohort
    start = lesson.starts_at.astimezone(_zone())
    join = lesson.join_url
    page = settings.SITE_URL + reverse("cohorts:learn_cohort", args=[cohort.pk])
    lines = [f"{cohort.course.title} · {cohort.name}"]
    if join:
        lines.append(_("Join the live class: %(link)s") % {"link": join})
    else:
        lines.append(_("The join link will be on the cohort's page before the lesson."))
    lines.append(_("Cohort page: %(link)s") % {"link": page})
    event = Event()
    event.add("uid", lesson_uid(lesson))
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=lesson.duration_minutes))
    event.add("summary", f"{lesson.title} · {cohort.course.title}")
    event.add("description", "\n".join(lines))
    event.add("url", join or page)
    if join:
        event.add("location", join)
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", lesson.title)
    alarm.add("trigger", -ALARM_BEFORE)
    event.add_component(alarm)
    return event


def _assignment_event(assignment: Assignment, stamp: datetime) -> Event:
    cohort = assignment.cohort
    due = assignment.due_at.astimezone(_zone())
    page = settings.SITE_URL + reverse("cohorts:learn_assignment", args=[assignment.pk])
    event = Event()
    event.add("uid", assignment_uid(assignment))
    event.add("dtstamp", stamp)
    # A moment, not a block of time: it starts and ends at the due time and keeps the day free.
    event.add("dtstart", due)
    event.add("dtend", due)
    event.add("transp", "TRANSPARENT")
    event.add("summary", _("Homework due: %(title)s") % {"title": assignment.title})
    lines = [
        f"{cohort.course.title} · {cohort.name}",
        _("Hand it in here: %(link)s") % {"link": page},
    ]
    event.add("description", "\n".join(lines))
    event.add("url", page)
    return event


def _ics(calendar: Calendar, lessons, assignments) -> bytes:
    stamp = timezone.now()
    starts: list[datetime] = []
    for lesson in lessons:
        calendar.add_component(_lesson_event(lesson, stamp))
        starts.append(lesson.starts_at)
    for assignment in assignments:
        calendar.add_component(_assignment_event(assignment, stamp))
        starts.append(assignment.due_at)
    if starts:
        # The zone's rules for the years the events span, not since 1970.
        first = min(starts).astimezone(_zone()).date().replace(month=1, day=1)
        calendar.add_missing_timezones(first_date=first, last_date=max(starts).date() + timedelta(days=366))
    return calendar.to_ical()


def _lessons(cohorts) -> QuerySet[Lesson]:
    return (
        Lesson.objects.filter(cohort__in=cohorts).select_related("cohort__course").order_by("starts_at", "pk")
    )


def _assignments(cohorts) -> QuerySet[Assignment]:
    return (
        Assignment.objects.filter(cohort__in=cohorts)
        .select_related("cohort__course")
        .order_by("due_at", "pk")
    )


def student_feed_ics(student: Student) -> bytes:
    """Every lesson and due time of the student's active enrollments (a cohort they left, or
    one they graduated from, drops out of their calendar)."""
    cohorts = Cohort.objects.filter(
        enrollments__student=student, enrollments__status=Enrollment.Status.ACTIVE
    ).values("pk")
    name = _("%(site)s · my lessons") % {"site": site_name()}
    return _ics(_calendar(name), _lessons(cohorts), _assignments(cohorts))


def cohort_feed_ics(cohort: Cohort) -> bytes:
    name = f"{cohort.course.title} · {cohort.name}"
    cohorts = Cohort.objects.filter(pk=cohort.pk).values("pk")
    return _ics(_calendar(name), _lessons(cohorts), _assignments(cohorts))


def lesson_ics(lesson: Lesson) -> bytes:
    return _ics(_calendar(lesson.title), [lesson], [])


def student_feed_url(student: Student) -> str:
    return settings.SITE_URL + reverse("cohorts:calendar_student_feed", args=[student.calendar_token])


def cohort_feed_url(cohort: Cohort) -> str:
    return settings.SITE_URL + reverse("cohorts:calendar_cohort_feed", args=[cohort.calendar_token])


def webcal(url: str) -> str:
    """The same address for "subscribe" links: iOS and macOS open webcal:// in Calendar."""
    return "webcal://" + url.split("://", 1)[-1]


def lesson_for_student(user, pk: int) -> Lesson:
    """A lesson of a cohort the signed-in student is in and has not left; 404 otherwise."""
    student = getattr(user, "student", None)
    lesson = (
        Lesson.objects.select_related("cohort__course")
        .filter(
            pk=pk,
            cohort__enrollments__student=student,
            cohort__enrollments__status__in=[Enrollment.Status.ACTIVE, Enrollment.Status.GRADUATED],
        )
        .first()
        if student
        else None
    )
    if lesson is None:
        raise Http404
    return lesson


def upcoming_lessons(student: Student, now: datetime | None = None) -> list[Lesson]:
    """The student's lessons still to come in their active cohorts, for the subscribe page."""
    now = now or timezone.now()
    cohorts = Cohort.objects.filter(
        enrollments__student=student, enrollments__status=Enrollment.Status.ACTIVE
    ).values("pk")
    return list(_lessons(cohorts).filter(starts_at__gte=now - timedelta(hours=3))[:20])
