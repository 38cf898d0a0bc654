"""Writes of the online tests (在线测评): building a test, taking it, grading it, and turning a
final score into the student's Assessment row. The rules: docs/assessments.md."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from cohorts.models import (
    Assessment,
    Enrollment,
    Quiz,
    QuizAnswer,
    QuizAttempt,
    QuizChoice,
    QuizQuestion,
    Student,
)

# An answer sent this long after the deadline is still taken: it left the phone in time and
# spent the seconds on the network. Anything later is refused.
GRACE = timedelta(seconds=5)
HUNDRED = Decimal("100")
CENT = Decimal("0.01")

# What may still change once a student has started the test: its title, texts, dates, number
# of attempts and whether it is published. The rest would change what an attempt was worth.
LOCKED_FIELDS = ("kind", "time_limit_minutes", "pass_mark", "cohort_id")


class QuizLocked(ValidationError):
    """The test has attempts: its questions, points and scoring can no longer change."""


class QuizClosed(Exception):
    """The test cannot be started now (not open yet, closed, or no attempts left)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class AttemptClosed(Exception):
    """The attempt has ended (handed in, or past its deadline): answers are refused."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def quiz_is_locked(quiz: Quiz) -> bool:
    return quiz.pk is not None and QuizAttempt.objects.filter(quiz=quiz).exists()


def _refuse_if_locked(quiz: Quiz) -> None:
    if quiz_is_locked(quiz):
        raise QuizLocked(_("Students have started this test: its questions can no longer change."))


# --- building -----------------------------------------------------------------------------------


@transaction.atomic
def quiz_save(*, quiz: Quiz) -> Quiz:
    """Create a test or change its settings. Once someone has started it, its kind, time limit
    and pass mark stay as they were (dates, attempts, texts and publishing may still change)."""
    if quiz.pk:
        before = Quiz.objects.select_for_update().get(pk=quiz.pk)
        changed = [name for name in LOCKED_FIELDS if getattr(before, name) != getattr(quiz, name)]
        if changed and quiz_is_locked(quiz):
            raise QuizLocked(
                _(
                    "Students have started this test: its assessment, time limit and pass mark can no longer change."
                )
            )
    if quiz.is_published and quiz.pk is None:
        raise ValidationError({"is_published": [_("Add the questions first, then publish the test.")]})
    if quiz.is_published and not QuizQuestion.objects.filter(quiz=quiz).exists():
        raise ValidationError({"is_published": [_("Add the questions first, then publish the test.")]})
    quiz.full_clean()
    quiz.save()
    # A closing time moved (earlier or later) moves the deadline of the attempts under way:
    # no attempt runs past the closing time, and a later one gives them their full time.
    for attempt in QuizAttempt.objects.filter(quiz=quiz, status=QuizAttempt.Status.IN_PROGRESS):
        deadline = quiz.deadline_for(attempt.started_at)
        if deadline != attempt.deadline:
            attempt.deadline = deadline
            attempt.save(update_fields=["deadline"])
    return quiz


@dataclass(frozen=True)
class ChoiceInput:
    text: str
    is_correct: bool


@transaction.atomic
def quiz_question_save(*, question: QuizQuestion, choices: Iterable[ChoiceInput] = ()) -> QuizQuestion:
    """Add a question to a test or change one, with its choices (in the order given; empty
    ones dropped). Multiple choice needs two choices or more: one correct for "one correct",
    at least one for "several correct"; true/false needs its answer."""
    quiz = Quiz.objects.select_for_update().get(pk=question.quiz_id)
    _refuse_if_locked(quiz)
    rows = [ChoiceInput(c.text.strip(), c.is_correct) for c in choices if c.text.strip()]
    if question.has_choices:
        correct = sum(c.is_correct for c in rows)
        if len(rows) < 2:
            raise ValidationError({"choices": [_("Give at least two choices.")]})
        if question.kind == QuizQuestion.Kind.SINGLE and correct != 1:
            raise ValidationError({"choices": [_("Mark exactly one choice as correct.")]})
        if question.kind == QuizQuestion.Kind.MULTIPLE and correct < 1:
            raise ValidationError({"choices": [_("Mark at least one choice as correct.")]})
    else:
        rows = []
    if question.kind == QuizQuestion.Kind.TRUE_FALSE and question.correct_true is None:
        raise ValidationError({"correct_true": [_("Say whether the statement is true or false.")]})
    if question.kind != QuizQuestion.Kind.TRUE_FALSE:
        question.correct_true = None
    if question.pk is None:
        last = QuizQuestion.objects.filter(quiz=quiz).aggregate(n=Max("position"))["n"]
        question.position = 0 if last is None else last + 1
    question.full_clean(exclude=["quiz"])
    question.save()
    QuizChoice.objects.filter(question=question).delete()
    QuizChoice.objects.bulk_create(
        QuizChoice(question=question, position=i, text=c.text, is_correct=c.is_correct)
        for i, c in enumerate(rows)
    )
    return question


@transaction.atomic
def quiz_question_delete(*, question: QuizQuestion) -> None:
    quiz = Quiz.objects.select_for_update().get(pk=question.quiz_id)
    _refuse_if_locked(quiz)
    question.delete()
    _renumber(quiz, list(QuizQuestion.objects.filter(quiz=quiz)))


@transaction.atomic
def quiz_question_move(*, question: QuizQuestion, by: int) -> None:
    """Move a question up (by=-1) or down (by=1) in its test."""
    quiz = Quiz.objects.select_for_update().get(pk=question.quiz_id)
    _refuse_if_locked(quiz)
    order = list(QuizQuestion.objects.filter(quiz=quiz))
    index = next(i for i, q in enumerate(order) if q.pk == question.pk)
    target = index + by
    if 0 <= target < len(order):
        order[index], order[target] = order[target], order[index]
    _renumber(quiz, order)


def _renumber(quiz: Quiz, order: list[QuizQuestion]) -> None:
    for position, item in enumerate(order):
        item.position = position
    QuizQuestion.objects.bulk_update(order, ["position"])


# --- taking ---------------------------------------------------------------------------------------


def quiz_start_refusal(*, quiz: Quiz, student: Student, now: datetime | None = None) -> str:
    """Why the student cannot start a new attempt now ("" when they can)."""
    now = now or timezone.now()
    if not quiz.is_published or now < quiz.opens_at:
        opens = timezone.localtime(quiz.opens_at)
        return _("This test opens on %(when)s.") % {"when": f"{opens:%Y-%m-%d %H:%M}"}
    if quiz.closes_at and now >= quiz.closes_at:
        return _("This test has closed.")
    used = QuizAttempt.objects.filter(quiz=quiz, student=student).count()
    if used >= quiz.attempts_allowed:
        return _("You have used every attempt at this test.")
    return ""


@transaction.atomic
def quiz_attempt_start(*, quiz: Quiz, student: Student, now: datetime | None = None) -> QuizAttempt:
    """Start an attempt, or go back to the one in progress (a reload, another phone): the
    clock of an attempt never restarts. Raises QuizClosed with the reason."""
    now = now or timezone.now()
    # The enrollment row is the lock that keeps attempt numbers gap-free and unique.
    enrollment = (
        Enrollment.objects.select_for_update().filter(student=student, cohort_id=quiz.cohort_id).first()
    )
    if enrollment is None or enrollment.status != Enrollment.Status.ACTIVE:
        raise QuizClosed(_("Only the cohort's current students can take this test."))
    quiz_attempts_expire(quiz=quiz, student=student, now=now)
    current = QuizAttempt.objects.filter(
        quiz=quiz, student=student, status=QuizAttempt.Status.IN_PROGRESS
    ).first()
    if current is not None:
        return current
    refusal = quiz_start_refusal(quiz=quiz, student=student, now=now)
    if refusal:
        raise QuizClosed(refusal)
    last = QuizAttempt.objects.filter(quiz=quiz, student=student).aggregate(n=Max("number"))["n"] or 0
    max_points = sum(QuizQuestion.objects.filter(quiz=quiz).values_list("points", flat=True))
    return QuizAttempt.objects.create(
        quiz=quiz,
        student=student,
        number=last + 1,
        started_at=now,
        deadline=quiz.deadline_for(now),
        max_points=max_points,
    )


def _accepts_answers(attempt: QuizAttempt, now: datetime) -> bool:
    return attempt.status == QuizAttempt.Status.IN_PROGRESS and (
        attempt.deadline is None or now <= attempt.deadline + GRACE
    )


@dataclass(frozen=True)
class AnswerInput:
    selected: tuple[int, ...] = ()
    truth: bool | None = None
    text: str = ""


def _clean_answer(question: QuizQuestion, given: AnswerInput, choice_ids: set[int]) -> AnswerInput:
    if question.has_choices:
        chosen = tuple(sorted(set(given.selected)))
        if set(chosen) - choice_ids:
            raise ValidationError({"selected": [_("That choice is not one of this question's.")]})
        if question.kind == QuizQuestion.Kind.SINGLE and len(chosen) > 1:
            raise ValidationError({"selected": [_("Choose one answer.")]})
        return AnswerInput(selected=chosen)
    if question.kind == QuizQuestion.Kind.TRUE_FALSE:
        return AnswerInput(truth=given.truth)
    if len(given.text) > 20_000:
        raise ValidationError({"text": [_("The answer is too long (20,000 characters at most).")]})
    return AnswerInput(text=given.text)


@transaction.atomic
def quiz_answer_save(
    *, attempt: QuizAttempt, question: QuizQuestion, answer: AnswerInput, now: datetime | None = None
) -> QuizAnswer:
    """Save one answer as the student gives it (each tap or pause in typing): the latest one
    replaces the one before. Raises AttemptClosed once the attempt has ended or its time is up,
    ValidationError for an answer that does not fit the question."""
    now = now or timezone.now()
    attempt = QuizAttempt.objects.select_for_update().get(pk=attempt.pk)
    if not _accepts_answers(attempt, now):
        raise AttemptClosed(_("Time is up: this attempt has ended and takes no more answers."))
    if question.quiz_id != attempt.quiz_id:
        raise ValidationError({"question": [_("That question is not in this test.")]})
    choice_ids = set(QuizChoice.objects.filter(question=question).values_list("pk", flat=True))
    clean = _clean_answer(question, answer, choice_ids)
    row, _created = QuizAnswer.objects.update_or_create(
        attempt=attempt,
        question=question,
        defaults={
            "selected": list(clean.selected),
            "truth": clean.truth,
            "text": clean.text,
            "saved_at": now,
        },
    )
    return row


@transaction.atomic
def quiz_attempt_submit(
    *,
    attempt: QuizAttempt,
    answers: dict[int, AnswerInput] | None = None,
    now: datetime | None = None,
) -> QuizAttempt:
    """Hand an attempt in (the student's button, or their phone at the time limit). Answers
    sent with it are saved first while the attempt still takes answers; an attempt past its
    deadline ends with what was saved in time. Safe to repeat: an ended attempt is returned."""
    now = now or timezone.now()
    attempt = QuizAttempt.objects.select_for_update().select_related("quiz").get(pk=attempt.pk)
    if attempt.status != QuizAttempt.Status.IN_PROGRESS:
        return attempt
    if answers and _accepts_answers(attempt, now):
        questions = {q.pk: q for q in QuizQuestion.objects.filter(quiz_id=attempt.quiz_id, pk__in=answers)}
        for question_id, given in answers.items():
            if question_id in questions:
                quiz_answer_save(attempt=attempt, question=questions[question_id], answer=given, now=now)
    return _attempt_end(attempt, now)


def _attempt_end(attempt: QuizAttempt, now: datetime) -> QuizAttempt:
    """Score what can be scored and end the attempt (the caller holds its row lock)."""
    late = attempt.deadline is not None and now > attempt.deadline
    attempt.submitted_at = attempt.deadline if late else now
    attempt.timed_out = late or (attempt.deadline is not None and now >= attempt.deadline)
    questions = list(QuizQuestion.objects.filter(quiz_id=attempt.quiz_id).prefetch_related("choices"))
    saved = {a.question_id: a for a in QuizAnswer.objects.filter(attempt=attempt)}
    for question in questions:
        answer = saved.get(question.pk) or QuizAnswer(attempt=attempt, question=question, saved_at=now)
        if question.is_auto_scored:
            answer.points = _auto_points(question, answer)
            answer.graded_at = now
        elif answer.is_blank:
            # Nothing written: nothing to grade, and worth nothing.
            answer.points = Decimal("0")
            answer.graded_at = now
        answer.save()
    attempt.status = QuizAttempt.Status.GRADING
    attempt.save(update_fields=["submitted_at", "timed_out", "status"])
    return _attempt_finalise_if_graded(attempt, now)


def _auto_points(question: QuizQuestion, answer: QuizAnswer) -> Decimal:
    """All or nothing: the one correct choice, exactly the set of correct choices, or the
    right true/false. A blank answer scores nothing."""
    if question.kind == QuizQuestion.Kind.TRUE_FALSE:
        right = answer.truth is not None and answer.truth == question.correct_true
    else:
        correct = {c.pk for c in question.choices.all() if c.is_correct}
        right = bool(answer.selected) and set(answer.selected) == correct
    return Decimal(question.points) if right else Decimal("0")


def _attempt_finalise_if_graded(attempt: QuizAttempt, now: datetime) -> QuizAttempt:
    answers = list(QuizAnswer.objects.filter(attempt=attempt))
    if any(a.points is None for a in answers):
        return attempt
    attempt.points = sum((a.points for a in answers if a.points is not None), Decimal("0"))
    attempt.score = (
        (attempt.points / attempt.max_points * HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)
        if attempt.max_points
        else Decimal("0")
    )
    attempt.score = min(attempt.score, HUNDRED)
    attempt.status = QuizAttempt.Status.FINAL
    attempt.finalised_at = attempt.finalised_at or now
    attempt.save(update_fields=["points", "score", "status", "finalised_at"])
    quiz_assessment_sync(quiz=attempt.quiz, student_id=attempt.student_id)
    return attempt


def quiz_attempts_expire(
    *, quiz: Quiz | None = None, student: Student | None = None, now: datetime | None = None
) -> int:
    """End every attempt still in progress whose deadline (and grace) has passed, with the
    answers saved in time: the job every minute, and every page of the test before it reads
    an attempt. Returns how many ended."""
    now = now or timezone.now()
    due = QuizAttempt.objects.filter(status=QuizAttempt.Status.IN_PROGRESS, deadline__lt=now - GRACE)
    if quiz is not None:
        due = due.filter(quiz=quiz)
    if student is not None:
        due = due.filter(student=student)
    ended = 0
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            attempt = (
                QuizAttempt.objects.select_for_update(skip_locked=True)
                .select_related("quiz")
                .filter(pk=pk, status=QuizAttempt.Status.IN_PROGRESS)
                .first()
            )
            if attempt is not None:
                _attempt_end(attempt, now)
                ended += 1
    return ended


# --- grading --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GradeInput:
    points: Decimal
    feedback: str = ""


@transaction.atomic
def quiz_attempt_grade(
    *, attempt: QuizAttempt, grades: dict[int, GradeInput], graded_by: User, now: datetime | None = None
) -> QuizAttempt:
    """Give points (0 to the question's points) and feedback to the hand-graded answers of an
    ended attempt ({answer id: grade}). When none is left without points the attempt is final
    and its score becomes the student's assessment; grading again changes both."""
    now = now or timezone.now()
    attempt = QuizAttempt.objects.select_for_update().select_related("quiz").get(pk=attempt.pk)
    if attempt.status == QuizAttempt.Status.IN_PROGRESS:
        raise ValidationError(_("This attempt is still in progress."))
    answers = {
        a.pk: a
        for a in QuizAnswer.objects.filter(attempt=attempt, pk__in=grades).select_related("question")
        if not a.question.is_auto_scored
    }
    errors: dict[str, list[str]] = {}
    for answer_id, grade in grades.items():
        answer = answers.get(answer_id)
        if answer is None:
            raise ValidationError(_("That answer is not one of this attempt's to grade."))
        if not (Decimal("0") <= grade.points <= answer.question.points):
            errors[f"points_{answer_id}"] = [_("Between 0 and %(n)s points.") % {"n": answer.question.points}]
    if errors:
        raise ValidationError(errors)
    for answer_id, grade in grades.items():
        answer = answers[answer_id]
        answer.points = grade.points
        answer.feedback = grade.feedback.strip()
        answer.graded_at = now
        answer.graded_by = graded_by
        answer.save(update_fields=["points", "feedback", "graded_at", "graded_by"])
    if attempt.status == QuizAttempt.Status.FINAL:
        attempt.status = QuizAttempt.Status.GRADING  # recomputed just below, with the new points
    return _attempt_finalise_if_graded(attempt, now)


# --- the assessment -------------------------------------------------------------------------------


@transaction.atomic
def quiz_assessment_sync(*, quiz: Quiz, student_id: int) -> Assessment | None:
    """Make the student's Assessment row for this test say what their best final attempt
    scored (taken when that attempt was handed in), or create it. A score the founder typed
    for an offline test is another row and is never touched."""
    best = (
        QuizAttempt.objects.filter(quiz=quiz, student_id=student_id, status=QuizAttempt.Status.FINAL)
        .order_by("-score", "submitted_at", "pk")
        .first()
    )
    if best is None or best.score is None:
        return None
    passed = best.score >= quiz.pass_mark if quiz.pass_mark is not None else None
    values = {
        "cohort_id": quiz.cohort_id,
        "kind": quiz.kind,
        "score": best.score,
        "passed": passed,
        "taken_at": best.submitted_at,
        "note": quiz.title[:300],
    }
    assessment = Assessment.objects.select_for_update().filter(quiz=quiz, student_id=student_id).first()
    if assessment is None:
        assessment = Assessment(quiz=quiz, student_id=student_id, **values)
    else:
        for name, value in values.items():
            setattr(assessment, name, value)
    assessment.full_clean(exclude=["student", "cohort", "quiz"], validate_constraints=False)
    assessment.save()
    return assessment
