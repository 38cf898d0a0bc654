"""Learner pages, phone first: what to do next, a cohort, its lessons, an assignment (submit
here), my progress."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.requests import AuthenticatedRequest
from cohorts import learner_selectors, quiz_selectors, selectors, services
from cohorts.cards import qr_png
from cohorts.files import FileRejected, FileTooLarge, upload_limit_mb
from cohorts.forms import SubmissionForm
from cohorts.referrals import student_referral_url
from onepco.access import student_required


@student_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    """What to do next: the next lesson (进入课堂), the next homework due, new feedback, and each
    cohort with its progress line; before a cohort starts, its checklist."""
    now = timezone.now()
    return render(
        request,
        "learner/home.html",
        {
            "home": learner_selectors.learner_home(selectors.learner_of(request.user), now),
            "has_password": request.user.has_usable_password(),
            "now": now,
        },
    )


@student_required
def referral_qr(request: AuthenticatedRequest) -> HttpResponse:
    """The QR code of my referral link, for a friend next to me to scan."""
    response = HttpResponse(
        qr_png(student_referral_url(selectors.learner_of(request.user))), content_type="image/png"
    )
    response["Cache-Control"] = "private, max-age=600"
    return response


@student_required
def cohort(request: HttpRequest, pk: int) -> HttpResponse:
    """The next lesson and its join link first, then my homework by state, then the lessons.
    404 once I have left the cohort (my own work stays under My progress)."""
    enrollment = selectors.cohort_for_learner(request.user, pk)
    now = timezone.now()
    page = learner_selectors.learner_cohort(enrollment, now)
    return render(
        request,
        "learner/cohort.html",
        {
            "enrollment": enrollment,
            "cohort": enrollment.cohort,
            "page": page,
            "groups": learner_selectors.assignments_by_group(page.assignments),
            "quizzes": quiz_selectors.learner_quizzes(enrollment, now),
            "now": now,
        },
    )


@student_required
def lessons(request: HttpRequest, pk: int) -> HttpResponse:
    """Every lesson of my cohort: those to come with 进入课堂, those held with the replay, the
    materials and my attendance (latest first). 404 once I have left the cohort."""
    enrollment = selectors.cohort_for_learner(request.user, pk)
    now = timezone.now()
    rows = learner_selectors.learner_lessons(enrollment)
    return render(
        request,
        "learner/lessons.html",
        {
            "enrollment": enrollment,
            "cohort": enrollment.cohort,
            "upcoming": [(x, s) for x, s in rows if x.ends_at > now],
            "past": [(x, s) for x, s in reversed(rows) if x.ends_at <= now],
            "now": now,
        },
    )


@student_required
def assignment(request: HttpRequest, pk: int) -> HttpResponse:
    """Instructions, the standard, the submit form and every attempt with its feedback. A student
    whose enrollment is not active hands in nothing; once they have left the cohort (dropped or
    refunded) they keep only their attempts and feedback, not the instructions. Opening the page
    reads the feedback: its badge on the home page goes."""
    page = selectors.assignment_for_student(request.user, pk)
    item, enrollment, attempts = page.assignment, page.enrollment, page.attempts
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
    if request.method == "GET" and any(a.has_new_feedback for a in attempts):
        services.feedback_mark_seen(student=student, assignment=item)
    now = timezone.now()
    latest = attempts[0] if attempts else None
    return render(
        request,
        "learner/assignment.html",
        {
            "assignment": item,
            "cohort": item.cohort,
            "form": form,
            "attempts": attempts,
            "is_late": now > item.due_at,
            # Past due and still to do (nothing handed in, or not passed): passed work, or work
            # waiting for its grade, is never labelled late.
            "show_late": now > item.due_at and (latest is None or (latest.is_graded and not latest.passed)),
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
        {"rows": learner_selectors.learner_progress(selectors.learner_of(request.user))},
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
