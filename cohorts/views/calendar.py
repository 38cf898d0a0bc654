"""Calendar feeds and the page that explains how to subscribe (cohorts/calendar.py builds them).

The feeds are read by calendar apps, which carry no session: the secret token in the address
is the key (a wrong or revoked one is a 404, like any page that does not exist). The lesson
file and the subscribe page are for the signed-in student; the cohort feed for staff.
"""

from urllib.parse import quote

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cohorts import calendar, selectors, services
from cohorts.models import Cohort, Student
from onepco.access import public, staff_required, student_required


def _ics_response(body: bytes, filename: str, *, attachment: bool = False) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    # Personal (join links, homework): never kept by a shared cache, read fresh by the app.
    response["Cache-Control"] = "private, no-cache"
    response["X-Robots-Tag"] = "noindex"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@public  # the token is the key: calendar apps send no cookies
def student_feed(request: HttpRequest, token: str) -> HttpResponse:
    student = get_object_or_404(Student, calendar_token=token)
    return _ics_response(calendar.student_feed_ics(student), "lessons.ics")


@public  # the token is the key: the founder's phone subscribes without signing in
def cohort_feed(request: HttpRequest, token: str) -> HttpResponse:
    cohort = get_object_or_404(Cohort.objects.select_related("course"), calendar_token=token)
    return _ics_response(calendar.cohort_feed_ics(cohort), f"{cohort.slug}.ics")


@staff_required
def cohort_feed_console(request: HttpRequest, pk: int) -> HttpResponse:
    cohort = get_object_or_404(Cohort.objects.select_related("course"), pk=pk)
    return _ics_response(calendar.cohort_feed_ics(cohort), f"{cohort.slug}.ics", attachment=True)


@staff_required
@require_POST
def cohort_feed_reset(request: HttpRequest, pk: int) -> HttpResponse:
    cohort = get_object_or_404(Cohort, pk=pk)
    services.cohort_calendar_token_reset(cohort=cohort)
    messages.success(request, _("The cohort's calendar has a new address; the old one no longer works."))
    return redirect("cohorts:console_cohort", pk=cohort.pk)


@student_required
def lesson_file(request: HttpRequest, pk: int) -> HttpResponse:
    """One lesson as a calendar file ("add to calendar"), for a student of its cohort."""
    lesson = calendar.lesson_for_student(request.user, pk)
    return _ics_response(calendar.lesson_ics(lesson), f"lesson-{lesson.pk}.ics", attachment=True)


@student_required
def subscribe(request: HttpRequest) -> HttpResponse:
    """The feed's address with how to subscribe on an iPhone, on Android and from WeChat."""
    student = selectors.learner_of(request.user)
    url = calendar.student_feed_url(student)
    context = {
        "feed_url": url,
        "webcal_url": calendar.webcal(url),
        "google_url": "https://calendar.google.com/calendar/r?cid=" + quote(calendar.webcal(url), safe=""),
        "lessons": calendar.upcoming_lessons(student),
    }
    return render(request, "learner/calendar.html", context)


@student_required
@require_POST
def subscribe_reset(request: HttpRequest) -> HttpResponse:
    services.student_calendar_token_reset(student=selectors.learner_of(request.user))
    messages.success(
        request,
        _("Your calendar has a new address. The old one no longer works: subscribe again with the new one."),
    )
    return redirect("cohorts:learn_calendar")
