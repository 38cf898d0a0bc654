"""Learner pages, phone first: my cohorts, a cohort, an assignment (submit here), my progress."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cohorts import quiz_selectors, selectors, services
from cohorts.files import FileRejected, FileTooLarge, upload_limit_mb
from cohorts.forms import SubmissionForm
from cohorts.models import Submission
from onepco.access import student_required


@student_required
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "learner/home.html",
        {"enrollments": selectors.learner_cohorts(selectors.learner_of(request.user))},
    )


@student_required
def cohort(request: HttpRequest, pk: int) -> HttpResponse:
    """The schedule, my attendance and my homework. Once I have left the cohort (dropped or
    refunded) it shows only my own past: no lessons to come, no links, no recordings."""
    enrollment = selectors.enrollment_for_student(request.user, pk)
    now = timezone.now()
    lessons = selectors.learner_lessons(enrollment)
    recent = now - timedelta(hours=3)
    upcoming = [] if enrollment.is_withdrawn else [(x, s) for x, s in lessons if x.starts_at >= recent]
    return render(
        request,
        "learner/cohort.html",
        {
            "enrollment": enrollment,
            "cohort": enrollment.cohort,
            "upcoming": upcoming,
            "past": [(x, s) for x, s in lessons if enrollment.is_withdrawn or x.starts_at < recent],
            "assignments": selectors.learner_assignments(enrollment, now),
            "quizzes": quiz_selectors.learner_quizzes(enrollment, now),
            "now": now,
        },
    )


@student_required
def assignment(request: HttpRequest, pk: int) -> HttpResponse:
    """Instructions, the standard, the submit form and every attempt with its feedback. A student
    whose enrollment is not active hands in nothing; once they have left the cohort (dropped or
    refunded) they keep only their attempts and feedback, not the instructions."""
    item = selectors.assignment_for_student(request.user, pk)
    enrollment = selectors.enrollment_for_student(request.user, item.cohort_id)
    student = enrollment.student
    refusal = services.submission_refusal(enrollment.status)
    form = SubmissionForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST" and refusal:
        status = 403  # whatever was sent: there is nothing to hand in here any more
    elif request.method == "POST" and form.is_valid():
        try:
            submission = services.submission_submit(
                student=student,
                assignment=item,
                text=form.cleaned_data["text"],
                link=form.cleaned_data["link"],
                file=form.cleaned_data["file"],
            )
        except (FileTooLarge, FileRejected) as exc:
            form.add_error("file", str(exc))
            status = 413 if isinstance(exc, FileTooLarge) else 400
        except services.NotEnrolled as exc:
            form.add_error(None, exc.message)
            status = 403
        except ValidationError as exc:
            form.add_error(None, exc.messages)
            status = 400
        else:
            messages.success(request, _("Handed in: attempt %(n)s.") % {"n": submission.attempt})
            return redirect("cohorts:learn_assignment", pk=item.pk)
    elif request.method == "POST":
        status = 400
    attempts = Submission.objects.filter(assignment=item, student=student).order_by("-attempt")
    return render(
        request,
        "learner/assignment.html",
        {
            "assignment": item,
            "cohort": item.cohort,
            "form": form,
            "attempts": attempts,
            "is_late": timezone.now() > item.due_at,
            "enrollment": enrollment,
            "refusal": refusal,
            "limit_mb": upload_limit_mb(),
        },
        status=status,
    )


@student_required
def progress(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "learner/progress.html",
        {"rows": selectors.learner_progress(selectors.learner_of(request.user))},
    )


@student_required
@require_POST
def report_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """The graduate's own choice to publish their report, or to take it down again."""
    report = selectors.report_for_student(request.user, pk)
    publish = request.POST.get("publish") == "1"
    services.graduation_report_publish(report=report, published=publish)
    messages.success(
        request, _("Your report is public.") if publish else _("Your report is no longer public.")
    )
    return redirect("cohorts:learn_progress")


@student_required
@require_POST
def report_share_work(request: HttpRequest, pk: int) -> HttpResponse:
    """The graduate's consent to show their showcased work on the course page, or its withdrawal."""
    report = selectors.report_for_student(request.user, pk)
    shares = request.POST.get("share") == "1"
    services.graduation_report_share_work(report=report, shares=shares)
    messages.success(
        request,
        _("Your showcased work is shown on the course page.")
        if shares
        else _("Your work is no longer shown on the course page."),
    )
    return redirect("cohorts:learn_progress")
