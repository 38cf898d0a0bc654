"""Access follows the enrollment's status.

A refunded or dropped student loses the cohort (its pages answer 404: lessons, live-class links,
replays, materials, assignments, handing in) and keeps reading their own work from the progress
page: submissions, files, feedback, scores, attendance and assessments. A graduate keeps reading everything of the cohort
and, as graduation means today, hands in nothing more.
"""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from cohorts import services
from cohorts.jobs import send_due_reminders
from cohorts.models import Enrollment, Submission
from tests import factories as f
from tests.cohorts.files import PDF, upload

JOIN_URL = "https://meet.example.com/live-2"
OLD_JOIN_URL = "https://meet.example.com/live-1"
RECORDING_URL = "https://video.example.com/rec-1"
INSTRUCTIONS = "秘籍：先用 requests 抓取首页"
STANDARD = "至少抓到 50 条数据"
NEXT_INSTRUCTIONS = "下周资料：解析 HTML"


@pytest.fixture
def course(cohort_a, student, refunded_student, dropped_student, graduated_student, founder):
    """Cohort A with a lesson held while everyone was in, one after the refund, one to come,
    an assignment everybody handed in (graded) and one nobody has yet."""
    now = timezone.now()
    everyone = (student, refunded_student, dropped_student, graduated_student)
    held = f.make_lesson(
        cohort_a,
        title="第 1 课：环境搭建",
        starts_at=now - timedelta(days=5),
        meeting_url=OLD_JOIN_URL,
        recording_url=RECORDING_URL,
    )
    f.make_lesson(cohort_a, title="第 2 课：退款之后", starts_at=now - timedelta(days=1))
    f.make_lesson(
        cohort_a, title="第 3 课：直播答疑", starts_at=now + timedelta(days=2), meeting_url=JOIN_URL
    )
    week1 = f.make_assignment(
        cohort_a,
        title="第 1 周作业",
        instructions=INSTRUCTIONS,
        standard=STANDARD,
        due_at=now - timedelta(days=4),
    )
    week2 = f.make_assignment(
        cohort_a, title="第 2 周作业", instructions=NEXT_INSTRUCTIONS, due_at=now + timedelta(days=3)
    )
    for learner in everyone:
        f.make_attendance(held, learner, "full")
        f.make_assessment(learner, cohort_a, "entry", 41, taken_at=now - timedelta(days=20))
        work = f.make_submission(
            week1, learner, text=f"{learner.user.name}的答案", submitted_at=now - timedelta(days=6)
        )
        services.submission_grade(
            submission=work, score=Decimal("77"), feedback="思路清楚", graded_by=founder
        )
    return {"held": held, "week1": week1, "week2": week2}


def _unchanged(learner) -> tuple:
    return (
        list(Enrollment.objects.filter(student=learner).values_list("status", "ended_at")),
        list(Submission.objects.filter(student=learner).values_list("pk", "attempt", "text", "score")),
    )


WITHDRAWN = [("refunded_client", "本期已退款"), ("dropped_client", "你已退出本期")]


@pytest.mark.parametrize("who, note", WITHDRAWN, ids=["refunded", "dropped"])
def test_a_withdrawn_student_gets_404_on_the_cohort_its_lessons_and_materials(
    request, course, cohort_a, who, note
):
    client = request.getfixturevalue(who)
    material = services.lesson_material_add(lesson=course["held"], file=upload("讲义.pdf", PDF))
    link = services.lesson_material_add(lesson=course["held"], url="https://docs.example.com/slides")
    for url in (
        f"/learn/cohorts/{cohort_a.pk}/",
        f"/learn/cohorts/{cohort_a.pk}/lessons/",
        f"/files/materials/{material.pk}/",
        f"/files/materials/{link.pk}/",
        f"/learn/assignments/{course['week2'].pk}/",  # never handed in: nothing of theirs to read
    ):
        assert client.get(url).status_code == 404, url
    home = client.get("/learn/").content.decode()
    progress = client.get("/learn/progress/").content.decode()
    for page in (home, progress):
        assert JOIN_URL not in page and OLD_JOIN_URL not in page and RECORDING_URL not in page
        assert "第 3 课：直播答疑" not in page and "docs.example.com" not in page
        assert f'href="/learn/cohorts/{cohort_a.pk}/"' not in page
    # Their own past stays, one tap from the progress page: the homework they handed in.
    assert note in progress
    assert f'href="/learn/assignments/{course["week1"].pk}/"' in progress
    assert "第 2 周作业" not in progress


@pytest.mark.parametrize(
    "who, learner, message",
    [
        ("refunded_client", "refunded_student", "本期已退款，不能再提交作业。"),
        ("dropped_client", "dropped_student", "你已退出本期，不能再提交作业。"),
        ("graduated_client", "graduated_student", "你已从本期毕业，作业提交已关闭。"),
    ],
    ids=["refunded", "dropped", "graduated"],
)
def test_an_ended_enrollment_hands_in_nothing_and_says_why(request, course, who, learner, message):
    client, learner = request.getfixturevalue(who), request.getfixturevalue(learner)
    before = _unchanged(learner)
    url = f"/learn/assignments/{course['week1'].pk}/"  # handed in before: the page is still theirs
    assert message in client.get(url).content.decode()
    page = client.post(url, {"text": "补交"})
    assert page.status_code == 403
    assert message in page.content.decode()
    api = client.post(
        "/api/submissions",
        json.dumps({"assignment": course["week2"].pk, "text": "补交"}),
        content_type="application/json",
    )
    assert api.status_code == 403
    assert api.json()["detail"] == message
    multipart = client.post(
        "/api/submissions", {"assignment": course["week2"].pk, "file": upload("a.pdf", PDF)}
    )
    assert multipart.status_code == 403
    assert _unchanged(learner) == before


def test_a_stranger_still_gets_the_plain_refusal(other_client, course):
    response = other_client.post(
        "/api/submissions",
        json.dumps({"assignment": course["week2"].pk, "text": "x"}),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "你没有报名这份作业所属的班级。"
    assert other_client.get(f"/learn/assignments/{course['week1'].pk}/").status_code == 404


def test_a_graduate_keeps_reading_the_cohorts_materials_and_their_work(graduated_client, course, cohort_a):
    page = graduated_client.get(f"/learn/cohorts/{cohort_a.pk}/").content.decode()
    assert "第 2 周作业" in page
    assert RECORDING_URL in graduated_client.get(f"/learn/cohorts/{cohort_a.pk}/lessons/").content.decode()
    assert "本期已退款" not in page and "你已退出本期" not in page
    assignment = graduated_client.get(f"/learn/assignments/{course['week1'].pk}/").content.decode()
    assert INSTRUCTIONS in assignment and STANDARD in assignment and "思路清楚" in assignment
    assert 'id="submit-form"' not in assignment


def test_an_active_student_sees_everything_and_still_hands_in(student_client, student, course, cohort_a):
    page = student_client.get(f"/learn/cohorts/{cohort_a.pk}/").content.decode()
    assert "第 3 课：直播答疑" in page and "第 2 周作业" in page
    assert JOIN_URL not in page  # two days ahead: 进入课堂 opens 15 minutes before the start
    assert RECORDING_URL in student_client.get(f"/learn/cohorts/{cohort_a.pk}/lessons/").content.decode()
    assignment = student_client.get(f"/learn/assignments/{course['week2'].pk}/").content.decode()
    assert NEXT_INSTRUCTIONS in assignment and 'id="submit-form"' in assignment
    assert (
        student_client.post(f"/learn/assignments/{course['week2'].pk}/", {"text": "第二周"}).status_code
        == 302
    )
    assert Submission.objects.filter(student=student, assignment=course["week2"]).count() == 1


@pytest.mark.parametrize("who", ["refunded_client", "dropped_client"])
def test_the_home_list_shows_no_next_lesson_of_a_cohort_they_left(request, course, cohort_a, who):
    learner = request.getfixturevalue(who.replace("_client", "_student"))
    page = request.getfixturevalue(who).get("/learn/").content.decode()
    enrollment = learner.enrollments.get()
    # Their past work is one tap away, on the progress page (the cohort itself is closed).
    assert f'href="/learn/progress/#enrollment-{enrollment.pk}"' in page
    assert "第 3 课：直播答疑" not in page


def test_the_home_list_shows_the_next_lesson_to_an_active_student(student_client, course):
    assert "第 3 课：直播答疑" in student_client.get("/learn/").content.decode()


def test_a_refunded_student_still_downloads_their_own_file(
    refunded_client, refunded_student, course, cohort_a
):
    work = f.make_submission(course["week1"], refunded_student, attempt=2, text="")
    work.file.save("我的作业.pdf", upload("我的作业.pdf", PDF))
    work.file_name = "我的作业.pdf"
    work.save()
    response = refunded_client.get(f"/files/submissions/{work.pk}/?download=1")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF


def test_due_reminders_go_to_active_students_only(
    student, refunded_student, dropped_student, graduated_student, cohort_a, mailoutbox
):
    f.make_assignment(cohort_a, title="明天截止", due_at=timezone.now() + timedelta(hours=20))
    assert send_due_reminders() == 1
    assert [m.to for m in mailoutbox] == [["student@example.com"]]
