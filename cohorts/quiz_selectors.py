"""Reads of the online tests: the gates (who may see or take which test), the founder's
overview of a test, the grading queue's tests, and a student's before/after."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from cohorts.models import (
    Assessment,
    Cohort,
    Enrollment,
    Quiz,
    QuizAnswer,
    QuizAttempt,
    QuizChoice,
    QuizQuestion,
    Student,
)
from cohorts.selectors import grading_queue, student_of

# A graduate keeps reading their results; a student who left (dropped, refunded) sees none.
READS_RESULTS = (Enrollment.Status.ACTIVE, Enrollment.Status.GRADUATED)


# --- gates ----------------------------------------------------------------------------------------


def _enrollment(user, cohort_id: int) -> Enrollment | None:
    student = student_of(user)
    if student is None:
        return None
    return (
        Enrollment.objects.select_related("student", "cohort__course")
        .filter(student=student, cohort_id=cohort_id)
        .first()
    )


def quiz_for_student(user, pk: int, *, to_take: bool = False) -> tuple[Quiz, Enrollment]:
    """A published test of a cohort the signed-in student is in (active, or graduated to read
    their results; `to_take`: active only). 404 for anyone else, a draft included."""
    quiz = Quiz.objects.select_related("cohort__course").filter(pk=pk, is_published=True).first()
    enrollment = _enrollment(user, quiz.cohort_id) if quiz else None
    allowed = (Enrollment.Status.ACTIVE,) if to_take else READS_RESULTS
    if quiz is None or enrollment is None or enrollment.status not in allowed:
        raise Http404
    return quiz, enrollment


def attempt_for_student(user, pk: int, *, to_take: bool = False) -> QuizAttempt:
    """The signed-in student's own attempt (404 for anyone else's), with its test."""
    student = student_of(user)
    attempt = (
        QuizAttempt.objects.select_related("quiz__cohort__course").filter(pk=pk, student=student).first()
        if student
        else None
    )
    if attempt is None:
        raise Http404
    quiz_for_student(user, attempt.quiz_id, to_take=to_take)
    return attempt


# --- the student's side ---------------------------------------------------------------------------


@dataclass
class LearnerQuiz:
    quiz: Quiz
    state: str  # upcoming | open | in_progress | grading | done | closed
    attempts: list[QuizAttempt]
    best: QuizAttempt | None
    current: QuizAttempt | None
    can_start: bool


def learner_quizzes(enrollment: Enrollment, now: datetime | None = None) -> list[LearnerQuiz]:
    """The cohort's published tests with where I stand in each (two queries). None once I
    have left the cohort."""
    if enrollment.status not in READS_RESULTS:
        return []
    now = now or timezone.now()
    mine = QuizAttempt.objects.filter(student_id=enrollment.student_id).order_by("number")
    quizzes = Quiz.objects.filter(cohort_id=enrollment.cohort_id, is_published=True).prefetch_related(
        Prefetch("attempts", queryset=mine, to_attr="mine")
    )
    return [_learner_quiz(quiz, quiz.mine, enrollment, now) for quiz in quizzes]


def learner_quiz(quiz: Quiz, enrollment: Enrollment, now: datetime | None = None) -> LearnerQuiz:
    attempts = list(
        QuizAttempt.objects.filter(quiz=quiz, student_id=enrollment.student_id).order_by("number")
    )
    return _learner_quiz(quiz, attempts, enrollment, now or timezone.now())


def _learner_quiz(
    quiz: Quiz, attempts: list[QuizAttempt], enrollment: Enrollment, now: datetime
) -> LearnerQuiz:
    current = next((a for a in attempts if a.status == QuizAttempt.Status.IN_PROGRESS), None)
    finals = [a for a in attempts if a.status == QuizAttempt.Status.FINAL]
    best = max(finals, key=lambda a: (a.score, -a.pk)) if finals else None
    is_open = quiz.is_open(now)
    can_start = (
        enrollment.status == Enrollment.Status.ACTIVE
        and is_open
        and current is None
        and len(attempts) < quiz.attempts_allowed
    )
    if current is not None:
        state = "in_progress"
    elif any(a.status == QuizAttempt.Status.GRADING for a in attempts):
        state = "grading"
    elif can_start:
        state = "open"
    elif best is not None:
        state = "done"
    elif now < quiz.opens_at:
        state = "upcoming"
    else:
        state = "closed"
    return LearnerQuiz(quiz, state, attempts, best, current, can_start)


def attempt_sheet(attempt: QuizAttempt) -> list[tuple[QuizQuestion, QuizAnswer | None]]:
    """The test's questions in order, each with its choices and my answer (None when not
    answered yet): the taking screen and the result page (three queries)."""
    questions = QuizQuestion.objects.filter(quiz_id=attempt.quiz_id).prefetch_related("choices")
    answers = {a.question_id: a for a in QuizAnswer.objects.filter(attempt=attempt)}
    return [(q, answers.get(q.pk)) for q in questions]


@dataclass
class BeforeAfter:
    entry: Decimal | None
    stages: list[Assessment]
    graduation: Decimal | None
    latest: Decimal | None

    @property
    def change(self) -> Decimal | None:
        if self.entry is None or self.latest is None:
            return None
        return self.latest - self.entry


def before_after(student: Student, cohort: Cohort) -> BeforeAfter:
    """The student's scores in a cohort on the one 0–100 scale: the entry score (the earliest
    entry assessment, as docs/metrics.md), every stage score, the latest graduation score."""
    rows = list(Assessment.objects.filter(student=student, cohort=cohort).order_by("taken_at", "id"))
    entries = [a for a in rows if a.kind == Assessment.Kind.ENTRY]
    stages = [a for a in rows if a.kind == Assessment.Kind.STAGE]
    graduations = [a for a in rows if a.kind == Assessment.Kind.GRADUATION]
    later = [
        a
        for a in rows
        if a.kind != Assessment.Kind.ENTRY and (not entries or a.taken_at > entries[0].taken_at)
    ]
    return BeforeAfter(
        entry=entries[0].score if entries else None,
        stages=stages,
        graduation=graduations[-1].score if graduations else None,
        latest=later[-1].score if later else None,
    )


# --- the founder's side ---------------------------------------------------------------------------


def cohort_quizzes(cohort: Cohort) -> QuerySet[Quiz]:
    """A cohort's tests with their question count and attempts by state (one query)."""
    return Quiz.objects.filter(cohort=cohort).annotate(
        question_count=Count("questions", distinct=True),
        started_count=Count("attempts", distinct=True),
        grading_count=Count("attempts", filter=Q(attempts__status=QuizAttempt.Status.GRADING), distinct=True),
        final_count=Count("attempts", filter=Q(attempts__status=QuizAttempt.Status.FINAL), distinct=True),
    )


def quiz_questions(quiz: Quiz) -> list[QuizQuestion]:
    return list(
        QuizQuestion.objects.filter(quiz=quiz).prefetch_related(
            Prefetch("choices", queryset=QuizChoice.objects.order_by("position", "id"))
        )
    )


def quiz_results(quiz: Quiz) -> list[dict]:
    """One row per enrollment of the test's cohort (refunded ones aside): their attempts and
    the score that counts (the best final one). Two queries, whatever the cohort's size."""
    attempts: dict[int, list[QuizAttempt]] = {}
    for attempt in QuizAttempt.objects.filter(quiz=quiz).order_by("number"):
        attempts.setdefault(attempt.student_id, []).append(attempt)
    rows = []
    enrollments = (
        Enrollment.objects.filter(cohort_id=quiz.cohort_id)
        .exclude(status=Enrollment.Status.REFUNDED)
        .select_related("student__user")
        .order_by("student__user__name", "pk")
    )
    for enrollment in enrollments:
        mine = attempts.get(enrollment.student_id, [])
        finals = [a for a in mine if a.status == QuizAttempt.Status.FINAL]
        rows.append(
            {
                "enrollment": enrollment,
                "attempts": mine,
                "best": max(finals, key=lambda a: (a.score, -a.pk)) if finals else None,
            }
        )
    return rows


def quiz_grading_queue(cohort: Cohort | None = None) -> QuerySet[QuizAttempt]:
    """Ended attempts with hand-graded answers still without points, oldest hand-in first,
    each with how many answers wait."""
    queryset = QuizAttempt.objects.filter(status=QuizAttempt.Status.GRADING)
    if cohort is not None:
        queryset = queryset.filter(quiz__cohort=cohort)
    return (
        queryset.select_related("quiz__cohort__course", "student__user")
        .annotate(waiting=Count("answers", filter=Q(answers__points__isnull=True)))
        .order_by("submitted_at", "pk")
    )


def quiz_grading_next(after: QuizAttempt) -> QuizAttempt | None:
    return quiz_grading_queue().exclude(pk=after.pk).first()


def attempt_for_grading(pk: int) -> QuizAttempt:
    attempt = (
        QuizAttempt.objects.select_related("quiz__cohort__course", "student__user")
        .exclude(status=QuizAttempt.Status.IN_PROGRESS)
        .filter(pk=pk)
        .first()
    )
    if attempt is None:
        raise Http404
    return attempt


def grading_waiting(cohort: Cohort | None = None) -> int:
    """What the grading queue holds: homework attempts and test attempts waiting for grading."""
    return grading_queue(cohort).count() + quiz_grading_queue(cohort).count()
