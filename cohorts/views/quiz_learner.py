"""The student's side of the online tests, phone first: a test's page, the taking screen (each
answer saved as it is given), handing in, and the result with before/after.

Only the cohort's active students take a test; a graduate still reads their results; anyone
else, a dropped or refunded student included, gets a 404.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cohorts import quiz_selectors, quiz_services
from cohorts.models import QuizAttempt, QuizQuestion
from cohorts.quiz_forms import answer_from_post
from onepco.access import student_required


@student_required
def quiz(request: HttpRequest, pk: int) -> HttpResponse:
    """What the test is, its rules, my attempts, and the button to start (or go on)."""
    item, enrollment = quiz_selectors.quiz_for_student(request.user, pk)
    quiz_services.quiz_attempts_expire(quiz=item, student=enrollment.student)
    mine = quiz_selectors.learner_quiz(item, enrollment)
    refusal = (
        ""
        if mine.can_start or mine.current
        else quiz_services.quiz_start_refusal(quiz=item, student=enrollment.student)
    )
    return render(
        request,
        "learner/quiz.html",
        {
            "quiz": item,
            "cohort": item.cohort,
            "mine": mine,
            "refusal": refusal,
            "question_count": QuizQuestion.objects.filter(quiz=item).count(),
            "attempts_left": max(0, item.attempts_allowed - len(mine.attempts)),
        },
    )


@student_required
@require_POST
def quiz_start(request: HttpRequest, pk: int) -> HttpResponse:
    item, enrollment = quiz_selectors.quiz_for_student(request.user, pk, to_take=True)
    try:
        attempt = quiz_services.quiz_attempt_start(quiz=item, student=enrollment.student)
    except quiz_services.QuizClosed as exc:
        messages.error(request, exc.message)
        return redirect("cohorts:learn_quiz", pk=item.pk)
    return redirect("cohorts:learn_attempt", pk=attempt.pk)


def _ended(attempt: QuizAttempt) -> bool:
    """End the attempt if its time is up (whatever the job has done so far) and say whether
    it has ended."""
    if attempt.status == QuizAttempt.Status.IN_PROGRESS:
        quiz_services.quiz_attempts_expire(quiz=attempt.quiz, student=attempt.student)
        attempt.refresh_from_db(fields=["status"])
    return attempt.status != QuizAttempt.Status.IN_PROGRESS


@student_required
def attempt(request: HttpRequest, pk: int) -> HttpResponse:
    """The taking screen: every question in the form, shown one a screen or all at once; the
    answers saved so far are filled in, so a reload or another phone goes on where I was."""
    item = quiz_selectors.attempt_for_student(request.user, pk)
    if _ended(item):
        return redirect("cohorts:learn_attempt_result", pk=item.pk)
    sheet = quiz_selectors.attempt_sheet(item)
    return render(
        request,
        "learner/quiz_take.html",
        {
            "attempt": item,
            "quiz": item.quiz,
            "cohort": item.quiz.cohort,
            "sheet": sheet,
            "seconds_left": item.seconds_left(),
            "answered": sum(1 for _q, a in sheet if a is not None and not a.is_blank),
        },
    )


@student_required
@require_POST
def attempt_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Save one answer (the taking screen posts each one as it is given). JSON: 200 saved;
    400 with the field's message; 409 once the attempt has ended (time up or handed in)."""
    item = quiz_selectors.attempt_for_student(request.user, pk, to_take=True)
    result_url = reverse("cohorts:learn_attempt_result", args=[item.pk])
    try:
        question_id = int(request.POST.get("question", ""))
    except ValueError:
        return JsonResponse({"question": [_("Which question?")]}, status=400)
    question = get_object_or_404(QuizQuestion, pk=question_id, quiz_id=item.quiz_id)
    try:
        answer = answer_from_post(question, request.POST)
        saved = quiz_services.quiz_answer_save(attempt=item, question=question, answer=answer)
    except quiz_services.AttemptClosed as exc:
        _ended(item)
        return JsonResponse({"detail": exc.message, "ended": True, "result_url": result_url}, status=409)
    except ValidationError as exc:
        return JsonResponse(
            exc.message_dict if hasattr(exc, "error_dict") else {"answer": exc.messages}, status=400
        )
    return JsonResponse(
        {"saved": True, "saved_at": timezone.localtime(saved.saved_at).strftime("%H:%M:%S"),
         "seconds_left": item.seconds_left()}
    )  # fmt: skip


@student_required
@require_POST
def attempt_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Hand in: the student's button, or the screen itself when the time is up. The answers in
    the form are saved first while there is time; after the deadline what was saved counts."""
    item = quiz_selectors.attempt_for_student(request.user, pk, to_take=True)
    answers = {}
    for question in QuizQuestion.objects.filter(quiz_id=item.quiz_id):
        if f"q{question.pk}" in request.POST or question.has_choices:
            try:
                answers[question.pk] = answer_from_post(question, request.POST)
            except ValidationError:
                continue  # a broken field keeps the answer saved before it
    try:
        ended = quiz_services.quiz_attempt_submit(attempt=item, answers=answers)
    except ValidationError:
        ended = quiz_services.quiz_attempt_submit(attempt=item)
    if ended.timed_out:
        messages.info(request, _("Time was up: your attempt was handed in with the answers saved in time."))
    else:
        messages.success(request, _("Handed in."))
    return redirect("cohorts:learn_attempt_result", pk=item.pk)


@student_required
def attempt_result(request: HttpRequest, pk: int) -> HttpResponse:
    """My result: the score out of 100 (or what still waits for grading), each question with
    my answer, and before/after on the same scale (entry → stage → graduation)."""
    item = quiz_selectors.attempt_for_student(request.user, pk)
    if not _ended(item):
        return redirect("cohorts:learn_attempt", pk=item.pk)
    item.refresh_from_db()
    enrollment = quiz_selectors.quiz_for_student(request.user, item.quiz_id)[1]
    mine = quiz_selectors.learner_quiz(item.quiz, enrollment)
    # The right answers once they can no longer help another attempt.
    reveal = not mine.can_start and mine.current is None
    return render(
        request,
        "learner/quiz_result.html",
        {
            "attempt": item,
            "quiz": item.quiz,
            "cohort": item.quiz.cohort,
            "sheet": quiz_selectors.attempt_sheet(item),
            "mine": mine,
            "reveal": reveal,
            "progress": quiz_selectors.before_after(enrollment.student, item.quiz.cohort),
        },
    )
