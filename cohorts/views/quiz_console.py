"""The founder's side of the online tests: build a test, see its results, grade the answers
written by hand. Staff only, every view."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.requests import AuthenticatedRequest
from cohorts import quiz_selectors, quiz_services
from cohorts.models import Cohort, FeedbackTemplate, Quiz, QuizQuestion
from cohorts.quiz_forms import AttemptGradeForm, QuestionForm, QuizForm
from onepco.access import staff_required


@staff_required
def quiz_edit(request: HttpRequest, cohort_pk: int | None = None, pk: int | None = None) -> HttpResponse:
    """A test's settings: a new one for a cohort, or an existing one."""
    if pk:
        quiz = get_object_or_404(Quiz.objects.select_related("cohort__course"), pk=pk)
    else:
        cohort = get_object_or_404(Cohort.objects.select_related("course"), pk=cohort_pk)
        opens = timezone.localtime(cohort.entry_assessment_at or timezone.now()).replace(
            second=0, microsecond=0
        )
        quiz = Quiz(cohort=cohort, opens_at=opens)
    locked = quiz_services.quiz_is_locked(quiz)
    form = QuizForm(request.POST or None, instance=quiz, locked=locked)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = quiz_services.quiz_save(quiz=form.instance)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Test saved."))
                return redirect("cohorts:quiz_detail", pk=saved.pk)
        status = 400
    return render(
        request,
        "cohorts/quiz_form.html",
        {"form": form, "quiz": quiz, "cohort": quiz.cohort, "locked": locked},
        status=status,
    )


@staff_required
def quiz_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The builder: the test's settings, its questions in order (add, change, move, delete
    until the first attempt) and every student's result."""
    quiz = get_object_or_404(Quiz.objects.select_related("cohort__course"), pk=pk)
    quiz_services.quiz_attempts_expire(quiz=quiz)
    questions = quiz_selectors.quiz_questions(quiz)
    return render(
        request,
        "cohorts/quiz_detail.html",
        {
            "quiz": quiz,
            "cohort": quiz.cohort,
            "questions": questions,
            "total_points": sum(q.points for q in questions),
            "locked": quiz_services.quiz_is_locked(quiz),
            "results": quiz_selectors.quiz_results(quiz),
            "kinds": QuizQuestion.Kind.choices,
        },
    )


@staff_required
def question_edit(request: HttpRequest, quiz_pk: int, pk: int | None = None) -> HttpResponse:
    quiz = get_object_or_404(Quiz.objects.select_related("cohort__course"), pk=quiz_pk)
    if pk:
        question = get_object_or_404(QuizQuestion, pk=pk, quiz=quiz)
    else:
        kind = request.GET.get("kind", "")
        if kind not in QuizQuestion.Kind.values:
            raise Http404
        question = QuizQuestion(quiz=quiz, kind=kind)
    locked = quiz_services.quiz_is_locked(quiz)
    form = QuestionForm(request.POST or None, instance=question, kind=question.kind)
    status = 200
    if request.method == "POST":
        if locked:
            form.add_error(None, _("Students have started this test: its questions can no longer change."))
        elif form.is_valid():
            try:
                quiz_services.quiz_question_save(question=form.instance, choices=form.choices())
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(request, _("Question saved."))
                if "another" in request.POST:
                    return redirect(
                        reverse("cohorts:question_new", args=[quiz.pk]) + f"?kind={question.kind}"
                    )
                return redirect("cohorts:quiz_detail", pk=quiz.pk)
        status = 400
    return render(
        request,
        "cohorts/quiz_question_form.html",
        {
            "form": form,
            "quiz": quiz,
            "cohort": quiz.cohort,
            "question": question,
            "locked": locked,
            "kind_label": QuizQuestion.Kind(question.kind).label,
        },
        status=status,
    )


@staff_required
@require_POST
def question_move(request: HttpRequest, pk: int) -> HttpResponse:
    question = get_object_or_404(QuizQuestion, pk=pk)
    try:
        quiz_services.quiz_question_move(question=question, by=-1 if request.POST.get("to") == "up" else 1)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(reverse("cohorts:quiz_detail", args=[question.quiz_id]) + f"#question-{question.pk}")


@staff_required
@require_POST
def question_delete(request: HttpRequest, pk: int) -> HttpResponse:
    question = get_object_or_404(QuizQuestion, pk=pk)
    try:
        quiz_services.quiz_question_delete(question=question)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Question deleted."))
    return redirect("cohorts:quiz_detail", pk=question.quiz_id)


@staff_required
def attempt_grade(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Grade an attempt's answers written by hand, all on one screen, with the feedback
    templates; "save and next" goes on to the next attempt waiting."""
    attempt = quiz_selectors.attempt_for_grading(pk)
    sheet = quiz_selectors.attempt_sheet(attempt)
    to_grade = []
    for question, answer in sheet:
        if answer is not None and not question.is_auto_scored and not answer.is_blank:
            answer.question = question  # the sheet's question, with its choices already read
            to_grade.append(answer)
    form = AttemptGradeForm(request.POST or None, answers=to_grade)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                quiz_services.quiz_attempt_grade(
                    attempt=attempt, grades=form.grades(), graded_by=request.user
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Graded."))
                if "next" not in request.POST:
                    return redirect("cohorts:quiz_attempt_grade", pk=attempt.pk)
                following = quiz_selectors.quiz_grading_next(attempt)
                if following:
                    return redirect("cohorts:quiz_attempt_grade", pk=following.pk)
                return redirect("cohorts:grading_queue")
        status = 400
    return render(
        request,
        "cohorts/quiz_grade.html",
        {
            "attempt": attempt,
            "quiz": attempt.quiz,
            "sheet": sheet,
            "form": form,
            "templates": FeedbackTemplate.objects.filter(is_active=True),
            "queue_count": quiz_selectors.grading_waiting(),
        },
        status=status,
    )
