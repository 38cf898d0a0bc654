"""The founder console of the delivery loop: cohorts, lessons, attendance, assignments, grading,
feedback templates, assessments and graduation. Staff only, every view."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.requests import AuthenticatedRequest
from cohorts import quiz_selectors, selectors, services
from cohorts.calendar import cohort_feed_url
from cohorts.files import FileRejected, FileTooLarge, upload_limit_mb
from cohorts.formatting import score_text
from cohorts.forms import (
    AssessmentRoundForm,
    AssignmentForm,
    AttendanceForm,
    AttendanceUploadForm,
    ClosingFeedbackForm,
    CohortForm,
    CourseFAQFormSet,
    CourseForm,
    FeedbackTemplateForm,
    GradeForm,
    LessonForm,
    LessonMaterialForm,
)
from cohorts.models import (
    Assignment,
    Cohort,
    Course,
    Enrollment,
    FeedbackTemplate,
    GraduationReport,
    Lesson,
    LessonMaterial,
    Student,
    Submission,
)
from cohorts.refund_risk import refund_risks
from onepco.access import staff_required
from onepco.templatetags.onepco import render_markdown

PREVIEW_MAX_CHARS = 50_000


@staff_required
def cohort_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "cohorts/cohort_list.html",
        {"cohorts": selectors.cohorts_overview(), "queue_count": quiz_selectors.grading_waiting()},
    )


@staff_required
def course_list(request: HttpRequest) -> HttpResponse:
    return render(request, "cohorts/course_list.html", {"courses": selectors.courses_overview()})


@staff_required
def course_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The course editor: the sales page's texts and images, the FAQ, draft or published."""
    course = get_object_or_404(Course, pk=pk) if pk else Course()
    form = CourseForm(request.POST or None, request.FILES or None, instance=course)
    faqs = CourseFAQFormSet(request.POST or None, instance=course, prefix="faq")
    if request.method == "POST":
        if form.is_valid() and faqs.is_valid():
            saved = services.course_save(course=form.instance, faqs=faqs)
            messages.success(request, _("Course saved."))
            return redirect("cohorts:course_edit", pk=saved.pk)
        status = 400
    else:
        status = 200
    cohorts = Cohort.objects.filter(course=course).order_by("-starts_on", "-id") if course.pk else []
    return render(
        request,
        "cohorts/course_form.html",
        {"form": form, "faqs": faqs, "course": course, "cohorts": cohorts},
        status=status,
    )


@staff_required
def cohort_edit(request: HttpRequest, course_pk: int | None = None, pk: int | None = None) -> HttpResponse:
    """A cohort's dates, seats, price, enrolment window, join link and instructions e-mail:
    a new one under its course, or an existing one."""
    if pk:
        cohort = get_object_or_404(Cohort.objects.select_related("course"), pk=pk)
    else:
        cohort = Cohort(course=get_object_or_404(Course, pk=course_pk))
    form = CohortForm(request.POST or None, instance=cohort)
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = services.cohort_save(cohort=form.instance)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Cohort saved."))
                return redirect("cohorts:console_cohort", pk=saved.pk)
        status = 400
    else:
        status = 200
    return render(request, "cohorts/cohort_form.html", {"form": form, "cohort": cohort}, status=status)


@staff_required
@require_POST
def markdown_preview(request: HttpRequest) -> HttpResponse:
    """The editor's live preview: the posted field's Markdown rendered and sanitised exactly as
    the public pages render it."""
    text = request.POST.get(request.GET.get("field", ""), "")[:PREVIEW_MAX_CHARS]
    return HttpResponse(render_markdown(text))


@staff_required
def cohort_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cohort = get_object_or_404(Cohort.objects.select_related("course"), pk=pk)
    now = timezone.now()
    lessons = list(Lesson.objects.filter(cohort=cohort))
    assignments = list(Assignment.objects.filter(cohort=cohort))
    return render(
        request,
        "cohorts/cohort_detail.html",
        {
            "cohort": cohort,
            "missing": selectors.cohort_missing(cohort, now, lessons=lessons, assignments=assignments),
            "figures": selectors.cohort_figures(cohort, now),
            "roster": selectors.cohort_roster(cohort, now),
            "lessons": lessons,
            "assignments": assignments,
            "queue_count": quiz_selectors.grading_waiting(cohort),
            "calendar_url": cohort_feed_url(cohort),
            "refund_risks": refund_risks(at=now, cohort_id=cohort.pk),
            "now": now,
        },
    )


@staff_required
def lesson_edit(request: HttpRequest, cohort_pk: int, pk: int | None = None) -> HttpResponse:
    """A lesson's time, link and replay; once saved, its materials (files and links) below."""
    cohort = get_object_or_404(Cohort.objects.select_related("course"), pk=cohort_pk)
    lesson = get_object_or_404(Lesson, pk=pk, cohort=cohort) if pk else Lesson(cohort=cohort)
    lesson.cohort = cohort
    form = LessonForm(request.POST or None, instance=lesson)
    if request.method == "POST" and form.is_valid():
        services.lesson_save(lesson=form.instance)
        messages.success(request, _("Lesson saved."))
        return redirect("cohorts:console_cohort", pk=cohort.pk)
    return _lesson_page(request, lesson, form=form, status=400 if request.method == "POST" else 200)


def _lesson_page(
    request: HttpRequest,
    lesson: Lesson,
    *,
    form: LessonForm | None = None,
    material_form: LessonMaterialForm | None = None,
    status: int = 200,
) -> HttpResponse:
    materials = list(lesson.materials.all()) if lesson.pk else []
    return render(
        request,
        "cohorts/lesson_form.html",
        {
            "form": form or LessonForm(instance=lesson),
            "material_form": material_form or LessonMaterialForm(prefix="material"),
            "materials": materials,
            "cohort": lesson.cohort,
            "lesson": lesson,
            "limit_mb": upload_limit_mb(),
        },
        status=status,
    )


@staff_required
@require_POST
def material_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a file (checked by its content, like homework) or a link to a lesson."""
    lesson = get_object_or_404(Lesson.objects.select_related("cohort__course"), pk=pk)
    form = LessonMaterialForm(request.POST, request.FILES, prefix="material")
    status = 400
    if form.is_valid():
        try:
            services.lesson_material_add(lesson=lesson, **form.cleaned_data)
        except (FileTooLarge, FileRejected) as exc:
            form.add_error("file", str(exc))
            status = 413 if isinstance(exc, FileTooLarge) else 400
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Material added: students of the cohort see it with the lesson."))
            return redirect(reverse("cohorts:lesson_edit", args=[lesson.cohort_id, lesson.pk]) + "#materials")
    return _lesson_page(request, lesson, material_form=form, status=status)


@staff_required
@require_POST
def material_remove(request: HttpRequest, pk: int) -> HttpResponse:
    material = get_object_or_404(LessonMaterial.objects.select_related("lesson"), pk=pk)
    lesson = material.lesson
    services.lesson_material_remove(material=material)
    messages.success(request, _("Material removed."))
    return redirect(reverse("cohorts:lesson_edit", args=[lesson.cohort_id, lesson.pk]) + "#materials")


@staff_required
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """Take a lesson's attendance on one screen, saved in one request."""
    lesson = get_object_or_404(Lesson.objects.select_related("cohort__course"), pk=pk)
    form = AttendanceForm(request.POST or None, sheet=selectors.attendance_sheet(lesson))
    if request.method == "POST" and form.is_valid():
        count = services.attendance_record(lesson=lesson, statuses=form.statuses())
        messages.success(request, _("Attendance saved for %(n)s students.") % {"n": count})
        return redirect("cohorts:console_cohort", pk=lesson.cohort_id)
    context = {"form": form, "lesson": lesson, "cohort": lesson.cohort, "upload": AttendanceUploadForm()}
    return render(request, "cohorts/attendance.html", context)


@staff_required
def assignment_edit(request: HttpRequest, cohort_pk: int, pk: int | None = None) -> HttpResponse:
    cohort = get_object_or_404(Cohort.objects.select_related("course"), pk=cohort_pk)
    assignment = get_object_or_404(Assignment, pk=pk, cohort=cohort) if pk else Assignment(cohort=cohort)
    form = AssignmentForm(request.POST or None, instance=assignment)
    if request.method == "POST" and form.is_valid():
        services.assignment_save(assignment=form.instance)
        messages.success(request, _("Assignment saved."))
        return redirect("cohorts:console_cohort", pk=cohort.pk)
    latest = selectors.assignment_latest_submissions(assignment) if assignment.pk else []
    return render(
        request,
        "cohorts/assignment_form.html",
        {"form": form, "cohort": cohort, "assignment": assignment, "submissions": latest},
    )


@staff_required
def grading_queue(request: HttpRequest) -> HttpResponse:
    """Homework first, then the online tests' answers written by hand, each oldest first."""
    return render(
        request,
        "cohorts/grading_queue.html",
        {
            "submissions": selectors.grading_queue()[:200],
            "attempts": quiz_selectors.quiz_grading_queue()[:200],
        },
    )


@staff_required
def grade(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The grading screen: the work, the standard, score, verdict, feedback; "save and next"."""
    submission = selectors.submission_for_user(request.user, pk)
    initial = {
        "score": score_text(submission.score) if submission.score is not None else None,
        "feedback": submission.feedback,
        "is_showcase": submission.is_showcase,
    }
    form = GradeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.submission_grade(submission=submission, graded_by=request.user, **form.cleaned_data)
        messages.success(request, _("Graded. The student gets an e-mail."))
        if "next" not in request.POST:
            return redirect("cohorts:grade", pk=submission.pk)
        following = selectors.grading_next(submission)
        return redirect("cohorts:grade", pk=following.pk) if following else redirect("cohorts:grading_queue")
    history = Submission.objects.filter(
        assignment=submission.assignment, student=submission.student
    ).order_by("-attempt")
    return render(
        request,
        "cohorts/grade.html",
        {
            "submission": submission,
            "assignment": submission.assignment,
            "form": form,
            "history": history,
            "templates": FeedbackTemplate.objects.filter(is_active=True),
            "queue_count": quiz_selectors.grading_waiting(),
        },
    )


@staff_required
@require_POST
def showcase(request: HttpRequest, pk: int) -> HttpResponse:
    submission = selectors.submission_for_user(request.user, pk)
    services.submission_showcase_set(submission=submission, is_showcase=request.POST.get("on") == "1")
    return redirect("cohorts:grade", pk=submission.pk)


@staff_required
def feedback_templates(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The list of feedback templates with a form to add one, or to edit the one chosen."""
    template = get_object_or_404(FeedbackTemplate, pk=pk) if pk else FeedbackTemplate()
    form = FeedbackTemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        services.feedback_template_save(template=form.instance)
        messages.success(request, _("Template saved."))
        return redirect("cohorts:feedback_templates")
    return render(
        request,
        "cohorts/feedback_templates.html",
        {"form": form, "template": template, "templates": FeedbackTemplate.objects.all()},
    )


@staff_required
def assessments(request: HttpRequest, pk: int) -> HttpResponse:
    """Entry / stage / graduation scores of the whole cohort, entered in one form."""
    cohort = get_object_or_404(Cohort.objects.select_related("course"), pk=pk)
    enrollments = list(
        Enrollment.objects.filter(cohort=cohort)
        .exclude(status=Enrollment.Status.REFUNDED)
        .select_related("student__user")
    )
    table = selectors.assessment_table(cohort)
    initial = {
        "taken_at": timezone.localtime().replace(second=0, microsecond=0),
        "kind": selectors.assessment_kind_due(cohort, table),
    }
    form = AssessmentRoundForm(request.POST or None, enrollments=enrollments, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            rows = services.assessments_record(
                cohort=cohort,
                kind=form.cleaned_data["kind"],
                scores=form.scores(),
                taken_at=form.cleaned_data["taken_at"],
                pass_mark=form.cleaned_data["pass_mark"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("%(n)s scores recorded.") % {"n": len(rows)})
            return redirect("cohorts:assessments", pk=cohort.pk)
    fields = {enrollment.pk: field for enrollment, field in form.score_fields}
    for row in table:
        row["field"] = fields.get(row["enrollment"].pk)
    return render(
        request,
        "cohorts/assessments.html",
        {
            "cohort": cohort,
            "form": form,
            "table": table,
            "ready": sum(r["can_graduate"] for r in table),
            "quizzes": quiz_selectors.cohort_quizzes(cohort),
        },
    )


@staff_required
@require_POST
def graduate(request: HttpRequest, pk: int) -> HttpResponse:
    cohort = get_object_or_404(Cohort, pk=pk)
    count = services.cohort_graduate_passed(cohort=cohort)
    messages.success(request, _("%(n)s students marked graduated.") % {"n": count})
    return redirect("cohorts:assessments", pk=cohort.pk)


@staff_required
def student_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One student: enrollments, attendance, submissions, assessments; closing feedback."""
    student = get_object_or_404(Student.objects.select_related("user", "lead"), pk=pk)
    overview = selectors.student_overview(student)
    for enrollment in overview["enrollments"]:
        report = getattr(enrollment, "report", None)
        enrollment.feedback_form = (
            ClosingFeedbackForm(
                initial={"closing_feedback": report.closing_feedback if report else ""},
                prefix=f"r{enrollment.pk}",
            )
            if report
            else None
        )
    return render(request, "cohorts/student_detail.html", {"student": student, **overview})


@staff_required
@require_POST
def closing_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(GraduationReport.objects.select_related("enrollment"), pk=pk)
    form = ClosingFeedbackForm(request.POST, prefix=f"r{report.enrollment_id}")
    if form.is_valid():
        services.graduation_report_feedback_set(
            report=report, closing_feedback=form.cleaned_data["closing_feedback"]
        )
        messages.success(request, _("Closing feedback saved."))
    else:
        messages.error(request, _("The closing feedback is too long."))
    return redirect("cohorts:console_student", pk=report.enrollment.student_id)
