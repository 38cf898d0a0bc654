"""Online tests (在线测评), through HTTP: the founder builds one, a student takes it on a phone
with a connection that drops, the server ends it at the time limit, the founder grades the
written answer, and the score becomes the Assessment row the dashboard counts."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cohorts import jobs, quiz_services, selectors
from cohorts.models import Assessment, Quiz, QuizAnswer, QuizAttempt, QuizQuestion, Student
from onepco.weeks import Week
from tests import factories as f

pytestmark = pytest.mark.django_db


def _clock_passes(attempt: QuizAttempt, minutes: int) -> None:
    """Let `minutes` go by for an attempt: everything it holds moves that far into the past
    (the server compares its deadline with the real clock)."""
    shift = timedelta(minutes=minutes)
    QuizAttempt.objects.filter(pk=attempt.pk).update(
        started_at=attempt.started_at - shift, deadline=attempt.deadline - shift if attempt.deadline else None
    )
    for answer in QuizAnswer.objects.filter(attempt=attempt):
        QuizAnswer.objects.filter(pk=answer.pk).update(saved_at=answer.saved_at - shift)
    attempt.refresh_from_db()


@pytest.fixture
def stage_test(cohort_a):
    """A stage test of cohort A with 30 minutes: four auto-scored points, one true/false and a
    written answer worth five (10 points = 100)."""
    quiz = f.make_quiz(cohort_a, title="阶段测评", time_limit_minutes=30, pass_mark=Decimal("60"))
    single = f.make_question(quiz, "single", 2, choices=(("Python", True), ("Excel", False), ("Word", False)))
    multiple = f.make_question(quiz, "multiple", 2, choices=(("列表", True), ("字典", True), ("图片", False)))
    truefalse = f.make_question(quiz, "truefalse", 1, correct_true=True)
    short = f.make_question(quiz, "short", 5, guidance="提到循环和条件即可。")
    return quiz, single, multiple, truefalse, short


def _answer(client: Client, attempt: QuizAttempt, question: QuizQuestion, *values) -> object:
    data = {"question": question.pk, f"q{question.pk}": list(values)}
    return client.post(reverse("cohorts:learn_attempt_answer", args=[attempt.pk]), data)


def test_a_test_taken_with_a_dropped_connection_is_ended_at_the_time_limit_and_counted(
    stage_test, student, student_client, founder_client, cohort_a
):
    quiz, single, multiple, truefalse, short = stage_test
    entry = f.make_assessment(student, cohort_a, "entry", 50, taken_at=timezone.now() - timedelta(days=20))

    # The student starts on their phone and answers two questions, each saved at once.
    response = student_client.post(reverse("cohorts:learn_quiz_start", args=[quiz.pk]))
    attempt = QuizAttempt.objects.get(quiz=quiz, student=student)
    assert response.url == reverse("cohorts:learn_attempt", args=[attempt.pk])
    assert attempt.deadline == attempt.started_at + timedelta(minutes=30)
    python = single.choices.get(text="Python")
    assert _answer(student_client, attempt, single, python.pk).json()["saved"] is True
    lists, dicts = multiple.choices.get(text="列表"), multiple.choices.get(text="字典")
    assert _answer(student_client, attempt, multiple, lists.pk, dicts.pk).status_code == 200

    # The connection drops; the same student signs in on another phone (a new session) and
    # finds the same attempt, with the same clock and the answers already given.
    phone = Client()
    phone.force_login(student.user)
    again = phone.post(reverse("cohorts:learn_quiz_start", args=[quiz.pk]))
    assert again.url == reverse("cohorts:learn_attempt", args=[attempt.pk])
    assert QuizAttempt.objects.filter(quiz=quiz, student=student).count() == 1
    page = phone.get(again.url)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'name="q{single.pk}" value="{python.pk}" checked' in html
    assert f'name="q{multiple.pk}" value="{dicts.pk}" checked' in html
    assert 0 < page.context["seconds_left"] <= 30 * 60
    assert _answer(phone, attempt, short, "用循环遍历列表，用条件筛选。").status_code == 200

    # Thirty minutes later the phone is still away: the answer sent now is refused…
    _clock_passes(attempt, 31)
    late = _answer(phone, attempt, truefalse, "true")
    assert late.status_code == 409 and late.json()["ended"] is True
    assert not QuizAnswer.objects.filter(attempt=attempt, question=truefalse, truth=True).exists()
    # …and the server has ended the attempt by itself (the job would have too), at its deadline.
    attempt.refresh_from_db()
    assert attempt.status == QuizAttempt.Status.GRADING
    assert attempt.timed_out and attempt.submitted_at == attempt.deadline
    assert not Assessment.objects.filter(quiz=quiz).exists()  # the written answer waits

    # The written answer is in the grading queue; the founder grades it with a template.
    template = f.make_feedback_template(title="思路清楚", body="思路清楚，继续保持。")
    queue = founder_client.get(reverse("cohorts:grading_queue"))
    assert list(queue.context["attempts"]) == [attempt]
    grade_url = reverse("cohorts:quiz_attempt_grade", args=[attempt.pk])
    screen = founder_client.get(grade_url)
    assert template.body in screen.content.decode()
    written = QuizAnswer.objects.get(attempt=attempt, question=short)
    response = founder_client.post(
        grade_url, {f"points_{written.pk}": "4", f"feedback_{written.pk}": template.body, "next": "1"}
    )
    assert response.status_code == 302 and response.url == reverse("cohorts:grading_queue")

    # Final: (2 + 2 + 0 + 4) / 10 → 80, the student's stage assessment, taken at the deadline.
    attempt.refresh_from_db()
    assert attempt.status == QuizAttempt.Status.FINAL and attempt.score == Decimal("80.00")
    assessment = Assessment.objects.get(quiz=quiz, student=student)
    assert (assessment.kind, assessment.score, assessment.passed) == ("stage", Decimal("80.00"), True)
    assert assessment.taken_at == attempt.deadline and assessment.cohort_id == cohort_a.pk

    # The dashboard's improvement rate and the cohort's figures follow, nobody typed anything.
    body = founder_client.get("/api/dashboard/weekly", {"week": Week.of(assessment.taken_at).label}).json()
    assert body["metrics"]["improvement_rate"] == 1.0
    figures = selectors.cohort_figures(cohort_a)
    assert (figures.improved, figures.measured) == (1, 1)
    assert entry.score < assessment.score

    # The student reads the result: 80, and before/after on the same scale.
    result = student_client.get(reverse("cohorts:learn_attempt_result", args=[attempt.pk]))
    assert result.status_code == 200
    assert result.context["progress"].entry == Decimal("50") and result.context["progress"].latest == 80
    assert "思路清楚，继续保持。" in result.content.decode()


def test_the_job_ends_an_abandoned_attempt_with_what_was_saved(stage_test, student, student_client):
    quiz, single, *_rest = stage_test
    student_client.post(reverse("cohorts:learn_quiz_start", args=[quiz.pk]))
    attempt = QuizAttempt.objects.get(quiz=quiz)
    _answer(student_client, attempt, single, single.choices.get(is_correct=True).pk)
    _clock_passes(attempt, 29)
    assert jobs.end_overdue_quiz_attempts() == 0  # a minute left: nothing to end
    _clock_passes(attempt, 2)
    assert jobs.end_overdue_quiz_attempts() == 1
    assert jobs.end_overdue_quiz_attempts() == 0  # safe to run again
    attempt.refresh_from_db()
    # The blank written answer is worth nothing and needs no grading: the attempt is final.
    assert attempt.status == QuizAttempt.Status.FINAL and attempt.score == Decimal("20.00")
    assert Assessment.objects.get(quiz=quiz).score == Decimal("20.00")


def test_an_answer_just_within_the_grace_is_kept_and_one_after_it_refused(stage_test, student_client):
    quiz, _single, _multiple, truefalse, _short = stage_test
    student_client.post(reverse("cohorts:learn_quiz_start", args=[quiz.pk]))
    attempt = QuizAttempt.objects.get(quiz=quiz)
    QuizAttempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(seconds=2))
    assert _answer(student_client, attempt, truefalse, "true").status_code == 200
    QuizAttempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(seconds=7))
    assert _answer(student_client, attempt, truefalse, "false").status_code == 409
    assert QuizAnswer.objects.get(attempt=attempt, question=truefalse).truth is True


def test_an_auto_scored_test_is_final_when_handed_in_and_graduates(cohort_a, student, student_client):
    quiz = f.make_quiz(cohort_a, kind="graduation", pass_mark=Decimal("50"), layout="all")
    one = f.make_question(quiz, "single", 3, choices=(("对", True), ("错", False)))
    two = f.make_question(quiz, "truefalse", 1, correct_true=False)
    student_client.post(reverse("cohorts:learn_quiz_start", args=[quiz.pk]))
    attempt = QuizAttempt.objects.get(quiz=quiz)
    # No script: the whole form is posted with the hand-in button.
    response = student_client.post(
        reverse("cohorts:learn_attempt_submit", args=[attempt.pk]),
        {f"q{one.pk}": one.choices.get(is_correct=True).pk, f"q{two.pk}": "true"},
    )
    assert response.url == reverse("cohorts:learn_attempt_result", args=[attempt.pk])
    attempt.refresh_from_db()
    assert attempt.status == QuizAttempt.Status.FINAL and attempt.score == Decimal("75.00")
    assert not attempt.timed_out
    assessment = Assessment.objects.get(quiz=quiz, student=student)
    assert (assessment.kind, assessment.passed) == ("graduation", True)
    assert selectors.cohort_figures(cohort_a).graduated_passed == 1
    # Handed in: further answers are refused, and a second hand-in changes nothing.
    assert _answer(student_client, attempt, two, "false").status_code == 409
    student_client.post(reverse("cohorts:learn_attempt_submit", args=[attempt.pk]))
    assert Assessment.objects.filter(quiz=quiz).count() == 1


def test_the_best_attempt_counts_and_a_typed_score_stays_beside_it(
    cohort_a, student, student_client, founder_client
):
    quiz = f.make_quiz(cohort_a, kind="stage", attempts_allowed=2)
    question = f.make_question(quiz, "truefalse", 1, correct_true=True)
    typed = f.make_assessment(student, cohort_a, "stage", 65, note="线下")
    for answer in ("true", "false"):
        student_client.post(reverse("cohorts:learn_quiz_start", args=[quiz.pk]))
        attempt = QuizAttempt.objects.get(quiz=quiz, status="in_progress")
        student_client.post(
            reverse("cohorts:learn_attempt_submit", args=[attempt.pk]), {f"q{question.pk}": answer}
        )
    assert list(QuizAttempt.objects.filter(quiz=quiz).values_list("score", flat=True)) == [100, 0]
    online = Assessment.objects.get(quiz=quiz)
    assert online.score == 100 and online.taken_at == QuizAttempt.objects.get(number=1).submitted_at
    typed.refresh_from_db()
    assert typed.score == 65 and typed.quiz is None
    # Both attempts used: no third one, on the page or by posting.
    page = student_client.get(reverse("cohorts:learn_quiz", args=[quiz.pk]))
    assert page.context["mine"].can_start is False
    student_client.post(reverse("cohorts:learn_quiz_start", args=[quiz.pk]))
    assert QuizAttempt.objects.filter(quiz=quiz).count() == 2
    # The founder's table shows the online score marked as such, beside the typed one.
    html = founder_client.get(reverse("cohorts:assessments", args=[cohort_a.pk])).content.decode()
    assert "65" in html and "100" in html


def test_bad_answers_are_400_with_the_fields_message(stage_test, student_client):
    quiz, single, _multiple, truefalse, _short = stage_test
    student_client.post(reverse("cohorts:learn_quiz_start", args=[quiz.pk]))
    attempt = QuizAttempt.objects.get(quiz=quiz)
    other = f.make_question(f.make_quiz(quiz.cohort), "single", 1, choices=(("x", True), ("y", False)))
    assert _answer(student_client, attempt, single, other.choices.first().pk).status_code == 400
    assert (
        _answer(student_client, attempt, single, *single.choices.values_list("pk", flat=True)).status_code
        == 400
    )
    assert _answer(student_client, attempt, single, "abc").status_code == 400
    assert _answer(student_client, attempt, truefalse, "maybe").status_code == 400
    assert _answer(student_client, attempt, other, other.choices.first().pk).status_code == 404
    url = reverse("cohorts:learn_attempt_answer", args=[attempt.pk])
    assert student_client.post(url, {"question": "x"}).status_code == 400
    assert not QuizAnswer.objects.filter(attempt=attempt).exists()


def test_the_deadline_never_passes_the_closing_time(cohort_a, student, student_client):
    closes = timezone.now() + timedelta(minutes=10)
    quiz = f.make_quiz(cohort_a, time_limit_minutes=60, closes_at=closes)
    f.make_question(quiz, "truefalse", 1, correct_true=True)
    student_client.post(reverse("cohorts:learn_quiz_start", args=[quiz.pk]))
    assert QuizAttempt.objects.get(quiz=quiz).deadline == closes


def test_moving_the_closing_time_moves_the_deadline_of_attempts_under_way(cohort_a, student):
    quiz = f.make_quiz(cohort_a, time_limit_minutes=60, closes_at=timezone.now() + timedelta(minutes=10))
    f.make_question(quiz, "truefalse", 1, correct_true=True)
    attempt = quiz_services.quiz_attempt_start(quiz=quiz, student=student)
    quiz.closes_at = timezone.now() + timedelta(days=1)
    quiz_services.quiz_save(quiz=quiz)
    attempt.refresh_from_db()
    assert attempt.deadline == attempt.started_at + timedelta(minutes=60)
    quiz.closes_at = timezone.now() + timedelta(minutes=5)
    quiz_services.quiz_save(quiz=quiz)
    attempt.refresh_from_db()
    assert attempt.deadline == quiz.closes_at


def test_a_test_not_open_or_closed_cannot_be_started(cohort_a, student_client):
    later = f.make_quiz(cohort_a, opens_at=timezone.now() + timedelta(days=1))
    closed = f.make_quiz(
        cohort_a, opens_at=timezone.now() - timedelta(days=2), closes_at=timezone.now() - timedelta(days=1)
    )
    for quiz in (later, closed):
        f.make_question(quiz, "truefalse", 1, correct_true=True)
        response = student_client.post(reverse("cohorts:learn_quiz_start", args=[quiz.pk]))
        assert response.url == reverse("cohorts:learn_quiz", args=[quiz.pk])
    assert not QuizAttempt.objects.exists()
    page = student_client.get(reverse("cohorts:learn_cohort", args=[cohort_a.pk]))
    states = {item.quiz.pk: item.state for item in page.context["quizzes"]}
    assert states == {later.pk: "upcoming", closed.pk: "closed"}


# --- the founder builds it ---------------------------------------------------------------------


def test_the_founder_builds_reorders_and_publishes_a_test(founder_client, cohort_a):
    response = founder_client.post(
        reverse("cohorts:quiz_new", args=[cohort_a.pk]),
        {"title": "入学测评", "kind": "entry", "layout": "one", "opens_at": "2026-12-01T09:00",
         "time_limit_minutes": "20", "attempts_allowed": "1", "pass_mark": ""},
    )  # fmt: skip
    quiz = Quiz.objects.get(title="入学测评")
    assert response.url == reverse("cohorts:quiz_detail", args=[quiz.pk]) and not quiz.is_published
    new = reverse("cohorts:question_new", args=[quiz.pk])
    founder_client.post(
        f"{new}?kind=single",
        {
            "prompt": "哪一个是编程语言？",
            "points": "2",
            "choice_0": "Python",
            "correct_0": "on",
            "choice_1": "Excel",
        },
    )
    founder_client.post(
        f"{new}?kind=truefalse", {"prompt": "列表可以修改。", "points": "1", "correct_true": "true"}
    )
    founder_client.post(f"{new}?kind=task", {"prompt": "写一个循环。", "points": "7", "guidance": "能运行。"})
    assert list(quiz.questions.values_list("kind", flat=True)) == ["single", "truefalse", "task"]
    task = quiz.questions.get(kind="task")
    founder_client.post(reverse("cohorts:question_move", args=[task.pk]), {"to": "up"})
    assert list(quiz.questions.values_list("kind", flat=True)) == ["single", "task", "truefalse"]
    page = founder_client.get(reverse("cohorts:quiz_detail", args=[quiz.pk]))
    assert page.context["total_points"] == 10
    # A single-choice question without exactly one correct answer is refused next to the form.
    bad = founder_client.post(
        f"{new}?kind=single", {"prompt": "?", "points": "1", "choice_0": "a", "choice_1": "b"}
    )
    assert bad.status_code == 400 and quiz.questions.count() == 3
    founder_client.post(
        reverse("cohorts:quiz_edit", args=[quiz.pk]),
        {"title": "入学测评", "kind": "entry", "layout": "all", "opens_at": "2026-12-01T09:00",
         "time_limit_minutes": "20", "attempts_allowed": "1", "is_published": "on"},
    )  # fmt: skip
    quiz.refresh_from_db()
    assert quiz.is_published and quiz.layout == "all"


def test_a_test_cannot_be_published_without_questions(founder_client, cohort_a):
    quiz = f.make_quiz(cohort_a, is_published=False)
    response = founder_client.post(
        reverse("cohorts:quiz_edit", args=[quiz.pk]),
        {"title": "x", "kind": "stage", "layout": "one", "opens_at": "2026-12-01T09:00",
         "attempts_allowed": "1", "is_published": "on"},
    )  # fmt: skip
    assert response.status_code == 400 and "is_published" in response.context["form"].errors
    quiz.refresh_from_db()
    assert not quiz.is_published


def test_questions_no_longer_change_once_a_student_has_started(stage_test, student, founder_client):
    quiz, single, *_rest = stage_test
    quiz_services.quiz_attempt_start(quiz=quiz, student=student)
    response = founder_client.post(
        reverse("cohorts:question_edit", args=[quiz.pk, single.pk]),
        {"prompt": "改过的题目", "points": "9", "choice_0": "a", "correct_0": "on", "choice_1": "b"},
    )
    assert response.status_code == 400
    founder_client.post(reverse("cohorts:question_delete", args=[single.pk]))
    founder_client.post(reverse("cohorts:question_move", args=[single.pk]), {"to": "down"})
    single.refresh_from_db()
    assert (single.points, single.position) == (2, 0) and single.prompt != "改过的题目"
    # The settings that decide what an attempt is worth stay; the closing time may move.
    founder_client.post(
        reverse("cohorts:quiz_edit", args=[quiz.pk]),
        {"title": quiz.title, "kind": "entry", "layout": "one", "opens_at": "2026-01-01T09:00",
         "closes_at": "2027-01-01T09:00", "time_limit_minutes": "5", "attempts_allowed": "1",
         "pass_mark": "10", "is_published": "on"},
    )  # fmt: skip
    quiz.refresh_from_db()
    assert (quiz.kind, quiz.time_limit_minutes, quiz.pass_mark) == ("stage", 30, Decimal("60"))
    assert quiz.closes_at is not None


# --- who may see what ------------------------------------------------------------------------------


def _student_urls(quiz: Quiz, attempt: QuizAttempt) -> list[tuple[str, str]]:
    return [
        ("get", reverse("cohorts:learn_quiz", args=[quiz.pk])),
        ("post", reverse("cohorts:learn_quiz_start", args=[quiz.pk])),
        ("get", reverse("cohorts:learn_attempt", args=[attempt.pk])),
        ("post", reverse("cohorts:learn_attempt_answer", args=[attempt.pk])),
        ("post", reverse("cohorts:learn_attempt_submit", args=[attempt.pk])),
        ("get", reverse("cohorts:learn_attempt_result", args=[attempt.pk])),
    ]


def test_only_the_cohorts_active_students_reach_a_test(
    stage_test,
    student,
    other_client,
    outsider_client,
    refunded_client,
    dropped_client,
    founder_client,
    client,
):
    quiz, single, *_rest = stage_test
    attempt = quiz_services.quiz_attempt_start(quiz=quiz, student=student)
    urls = _student_urls(quiz, attempt)
    for stranger in (other_client, outsider_client, refunded_client, dropped_client):
        for method, url in urls:
            data = (
                {"question": single.pk, f"q{single.pk}": single.choices.first().pk}
                if method == "post"
                else None
            )
            assert getattr(stranger, method)(url, data).status_code == 404, url
    for method, url in urls:
        assert getattr(client, method)(url).status_code == 302  # to the login page
    assert founder_client.get(urls[0][1]).status_code == 403  # staff has no learner profile
    assert QuizAttempt.objects.filter(quiz=quiz).count() == 1
    assert not QuizAnswer.objects.exists()
    attempt.refresh_from_db()
    assert attempt.status == QuizAttempt.Status.IN_PROGRESS


def test_a_draft_test_is_404_to_its_own_students(cohort_a, student_client):
    quiz = f.make_quiz(cohort_a, is_published=False)
    assert student_client.get(reverse("cohorts:learn_quiz", args=[quiz.pk])).status_code == 404
    assert student_client.post(reverse("cohorts:learn_quiz_start", args=[quiz.pk])).status_code == 404


def test_a_refunded_student_keeps_no_test_on_the_cohort_page(stage_test, refunded_client, cohort_a):
    # The whole cohort page is closed to them (#16: 404), its tests with it.
    page = refunded_client.get(reverse("cohorts:learn_cohort", args=[cohort_a.pk]))
    assert page.status_code == 404


def test_the_founders_pages_are_staff_only(stage_test, student, student_client, client):
    quiz, single, *_rest = stage_test
    attempt = quiz_services.quiz_attempt_start(quiz=quiz, student=student)
    quiz_services.quiz_attempt_submit(attempt=attempt)
    urls = [
        ("get", reverse("cohorts:quiz_new", args=[quiz.cohort_id])),
        ("get", reverse("cohorts:quiz_detail", args=[quiz.pk])),
        ("post", reverse("cohorts:quiz_edit", args=[quiz.pk])),
        ("post", reverse("cohorts:question_new", args=[quiz.pk]) + "?kind=short"),
        ("post", reverse("cohorts:question_edit", args=[quiz.pk, single.pk])),
        ("post", reverse("cohorts:question_move", args=[single.pk])),
        ("post", reverse("cohorts:question_delete", args=[single.pk])),
        ("post", reverse("cohorts:quiz_attempt_grade", args=[attempt.pk])),
    ]
    for method, url in urls:
        assert getattr(student_client, method)(url, {"prompt": "x", "points": "1"}).status_code == 403, url
        assert getattr(client, method)(url).status_code == 302, url
    assert quiz.questions.count() == 4 and Quiz.objects.count() == 1


# --- bounded queries --------------------------------------------------------------------------------


def _crowd(quiz: Quiz, n: int) -> None:
    questions = list(quiz.questions.all())
    for i in range(n):
        learner = f.make_student(f.make_user())
        f.make_enrollment(learner, quiz.cohort)
        attempt = quiz_services.quiz_attempt_start(quiz=quiz, student=learner)
        short = next(q for q in questions if q.kind == "short")
        quiz_services.quiz_answer_save(
            attempt=attempt, question=short, answer=quiz_services.AnswerInput(text=f"答{i}")
        )
        quiz_services.quiz_attempt_submit(attempt=attempt)


# Each page's queries whatever the number of students (measured: 10, 5 and 8).
PAGES = [("quiz_detail", "quiz", 10), ("grading_queue", None, 5), ("assessments", "cohort", 8)]


@pytest.mark.parametrize("students", [3, 12])
@pytest.mark.parametrize(("page", "arg", "limit"), PAGES)
def test_the_founders_test_pages_read_a_bounded_number_of_queries(
    stage_test, founder_client, django_assert_max_num_queries, students, page, arg, limit
):
    quiz = stage_test[0]
    _crowd(quiz, students)
    assignment = f.make_assignment(quiz.cohort)
    for learner in Student.objects.filter(quiz_attempts__quiz=quiz):
        f.make_submission(assignment, learner)  # homework waiting beside the tests
    args = {"quiz": [quiz.pk], "cohort": [quiz.cohort_id], None: []}[arg]
    with django_assert_max_num_queries(limit):
        response = founder_client.get(reverse(f"cohorts:{page}", args=args))
    assert response.status_code == 200
    if page == "quiz_detail":
        assert len(response.context["results"]) == students
    if page == "grading_queue":
        assert len(response.context["attempts"]) == students == len(response.context["submissions"])
