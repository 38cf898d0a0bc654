"""/learn/ says what to do next (#16): the next lesson with 进入课堂 (live only from 15 minutes
before the start until the end), the next homework due, new feedback until it is read, a
progress line per cohort, and before a cohort starts, its checklist (即将开课, not 在读)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from cohorts import services
from cohorts.learner_selectors import assignments_by_group, learner_assignments
from cohorts.models import Lesson, LessonMaterial, Submission
from cohorts.templatetags.learner import duration_text
from crm.models import SignupSettings
from tests import factories as f
from tests.cohorts.files import EXE, PDF, upload

JOIN = "https://meet.example.com/room-9"


def lesson_at(cohort, minutes_from_now: float, **fields) -> Lesson:
    fields.setdefault("duration_minutes", 90)
    return f.make_lesson(
        cohort,
        title=fields.pop("title", "直播课：提示词工程"),
        starts_at=timezone.now() + timedelta(minutes=minutes_from_now),
        meeting_url=fields.pop("meeting_url", JOIN),
        **fields,
    )


# --- the 15-minute window ------------------------------------------------------------------


def test_join_state_follows_the_window_at_explicit_times(cohort_a):
    start = f.aware(2026, 12, 8, 20, 0)
    lesson = f.make_lesson(cohort_a, starts_at=start, duration_minutes=90)
    assert lesson.join_state(start - timedelta(minutes=15, seconds=1)) == "soon"
    assert lesson.join_state(start - timedelta(minutes=15)) == "open"
    assert lesson.join_state(start + timedelta(minutes=89, seconds=59)) == "open"
    assert lesson.join_state(start + timedelta(minutes=90)) == "ended"


@pytest.mark.parametrize(
    "minutes, live",
    [(20, False), (16, False), (14, True), (0, True), (-60, True)],
    ids=["20-before", "16-before", "14-before", "at-start", "an-hour-in"],
)
def test_the_join_link_is_live_only_from_15_minutes_before(student_client, cohort_a, minutes, live):
    lesson_at(cohort_a, minutes)
    for url in ("/learn/", f"/learn/cohorts/{cohort_a.pk}/", f"/learn/cohorts/{cohort_a.pk}/lessons/"):
        page = student_client.get(url).content.decode()
        assert "直播课：提示词工程" in page
        assert (JOIN in page) is live, url
        assert "进入课堂" in page
        if not live:
            assert "开课前 15 分钟开放" in page  # the disabled button says when it opens


def test_a_lesson_that_has_ended_has_no_join_button_but_its_replay(student_client, cohort_a):
    lesson_at(cohort_a, -91, recording_url="https://video.example.com/replay-1")
    page = student_client.get(f"/learn/cohorts/{cohort_a.pk}/lessons/").content.decode()
    assert JOIN not in page and "进入课堂" not in page
    assert "https://video.example.com/replay-1" in page and "看回放" in page
    home = student_client.get("/learn/").content.decode()
    assert 'id="next-lesson"' not in home


def test_the_next_lesson_on_the_home_is_the_one_running_or_soonest(student_client, cohort_a):
    lesson_at(cohort_a, 60 * 24 * 3, title="三天后")
    lesson_at(cohort_a, -30, title="正在上")
    home = student_client.get("/learn/")
    assert home.context["home"].next_lesson.title == "正在上"
    page = home.content.decode()
    assert JOIN in page and "正在上课" in page


def test_the_countdown_carries_the_time_and_the_formats_for_the_script(student_client, cohort_a):
    lesson = lesson_at(cohort_a, 60 * 26)
    page = student_client.get("/learn/").content.decode()
    assert 'data-countdown="' in page and 'data-fmt-minutes="%(m)s 分 %(s)s 秒"' in page
    assert f'data-reload-at="{timezone.localtime(lesson.join_opens_at).isoformat()}"' in page
    assert "1 天 1 小时" in page or "1 天 2 小时" in page
    assert duration_text(3 * 86400 + 4 * 3600 + 59) == "3 天 4 小时"
    assert duration_text(2 * 3600 + 5 * 60) == "2 小时 5 分钟"
    assert duration_text(4 * 60 + 9) == "4 分 09 秒"
    assert duration_text(-5) == "0 分 00 秒"


def test_a_lesson_without_any_join_link_says_it_is_not_posted(student_client, cohort_a):
    lesson_at(cohort_a, 5, meeting_url="")
    page = student_client.get("/learn/").content.decode()
    assert "上课链接还没发布" in page


# --- homework: next due, grouped by state, never late once passed ---------------------------


@pytest.fixture
def homework(cohort_a, student, founder):
    now = timezone.now()
    items = {
        "todo": f.make_assignment(cohort_a, title="待做", due_at=now + timedelta(days=2)),
        "later": f.make_assignment(cohort_a, title="下下周", due_at=now + timedelta(days=9)),
        "late": f.make_assignment(cohort_a, title="逾期未交", due_at=now - timedelta(days=1)),
        "waiting": f.make_assignment(cohort_a, title="等批改", due_at=now - timedelta(days=3)),
        "again": f.make_assignment(cohort_a, title="没通过", due_at=now - timedelta(days=4)),
        "passed": f.make_assignment(cohort_a, title="迟交但通过", due_at=now - timedelta(days=5)),
    }
    f.make_submission(items["waiting"], student)
    failed = f.make_submission(items["again"], student)
    services.submission_grade(submission=failed, score=Decimal("40"), feedback="再补测试", graded_by=founder)
    late_pass = f.make_submission(items["passed"], student, late=True)
    services.submission_grade(submission=late_pass, score=Decimal("92"), feedback="很好", graded_by=founder)
    return items


def test_assignments_are_grouped_by_state_in_working_order(student, cohort_a, homework):
    groups = assignments_by_group(learner_assignments(student.enrollments.get()))
    assert [(name, [i.assignment.title for i in items]) for name, items in groups] == [
        ("todo", ["逾期未交", "待做", "下下周"]),
        ("submitted", ["等批改"]),
        ("not_passed", ["没通过"]),
        ("passed", ["迟交但通过"]),
    ]


def test_the_cohort_page_leads_with_the_next_lesson_then_homework_by_state(
    student_client, cohort_a, homework
):
    lesson_at(cohort_a, 10)
    page = student_client.get(f"/learn/cohorts/{cohort_a.pk}/").content.decode()
    order = [page.index(x) for x in ('id="next-lesson"', 'id="group-todo"', 'id="group-submitted"')]
    order += [page.index(x) for x in ('id="group-not_passed"', 'id="group-passed"', 'id="lessons"')]
    assert order == sorted(order)
    assert page.index(JOIN) < page.index("待做")
    assert "即将开课" not in page and "在读" in page


def test_passed_work_is_never_labelled_late(student_client, homework):
    late_label = "已过截止时间：仍可迟交"
    cohort_page = student_client.get(f"/learn/cohorts/{homework['passed'].cohort_id}/").content.decode()
    passed_group = cohort_page[cohort_page.index('id="group-passed"') :]
    assert "迟交但通过" in passed_group and late_label not in passed_group
    passed = student_client.get(f"/learn/assignments/{homework['passed'].pk}/").content.decode()
    assert (
        late_label not in passed and "迟交" not in passed.split('id="submit-form"')[0].split("我的提交")[-1]
    )
    waiting = student_client.get(f"/learn/assignments/{homework['waiting'].pk}/").content.decode()
    assert late_label not in waiting
    # Still to do after the due time: the label is right there.
    assert late_label in student_client.get(f"/learn/assignments/{homework['late'].pk}/").content.decode()
    assert late_label in student_client.get(f"/learn/assignments/{homework['again'].pk}/").content.decode()


def test_the_home_shows_the_next_homework_due_and_what_is_overdue(student_client, homework):
    response = student_client.get("/learn/")
    home = response.context["home"]
    assert home.next_assignment == homework["todo"]
    assert home.overdue == [homework["late"]]
    page = response.content.decode()
    assert f'href="/learn/assignments/{homework["todo"].pk}/"' in page
    assert "另有 1 份作业已过截止时间，仍可迟交" in page


# --- new feedback ----------------------------------------------------------------------------


def test_new_feedback_has_a_badge_until_the_student_opens_it(student_client, student, homework, founder):
    home = student_client.get("/learn/")
    assert {s.assignment.title for s in home.context["home"].new_feedback} == {"没通过", "迟交但通过"}
    assert 'id="new-feedback"' in home.content.decode()
    page = student_client.get(f"/learn/assignments/{homework['again'].pk}/").content.decode()
    assert "再补测试" in page
    assert [s.assignment.title for s in student_client.get("/learn/").context["home"].new_feedback] == [
        "迟交但通过"
    ]
    student_client.get(f"/learn/assignments/{homework['passed'].pk}/")
    cleared = student_client.get("/learn/")
    assert cleared.context["home"].new_feedback == []
    assert 'id="new-feedback"' not in cleared.content.decode()
    # Graded again: new again.
    services.submission_grade(
        submission=Submission.objects.get(assignment=homework["again"]),
        score=Decimal("70"),
        feedback="这次达标了",
        graded_by=founder,
    )
    assert [s.assignment.title for s in student_client.get("/learn/").context["home"].new_feedback] == [
        "没通过"
    ]


def test_opening_someone_elses_assignment_marks_nothing_seen(other_client, student, homework):
    assert other_client.get(f"/learn/assignments/{homework['again'].pk}/").status_code == 404
    assert Submission.objects.get(assignment=homework["again"]).feedback_seen_at is None


def test_the_migration_counts_earlier_feedback_as_seen(student, homework):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("cohorts.migrations.0009_lesson_materials_feedback_seen")
    Submission.objects.update(feedback_seen_at=None)
    migration.earlier_feedback_seen(apps, None)
    rows = Submission.objects.values_list("graded_at", "feedback_seen_at")
    assert all(seen == graded for graded, seen in rows)
    assert Submission.objects.filter(graded_at__isnull=True, feedback_seen_at__isnull=True).count() == 1


# --- progress lines and the checklist before the start -------------------------------------


def test_the_progress_line_counts_passed_homework_and_attendance(student_client, student, cohort_a, homework):
    held = [lesson_at(cohort_a, -60 * 24 * d, title=f"第 {d} 讲") for d in (1, 2, 3)]
    lesson_at(cohort_a, 60 * 24)  # to come: not counted
    f.make_attendance(held[0], student, "full")
    f.make_attendance(held[1], student, "partial")
    f.make_attendance(held[2], student, "absent")
    page = student_client.get("/learn/").content.decode()
    assert "作业 1/6 达标" in page and "出勤 2/3" in page
    assert "作业 1/6 达标" in student_client.get(f"/learn/cohorts/{cohort_a.pk}/").content.decode()
    assert "出勤 2/3" in student_client.get("/learn/progress/").content.decode()


@pytest.fixture
def upcoming(student):
    cohort = f.make_cohort(
        name="冬季班",
        starts_on=timezone.localdate() + timedelta(days=12),
        entry_assessment_at=timezone.now() + timedelta(days=10),
    )
    f.make_enrollment(student, cohort)
    return cohort


def test_a_cohort_not_started_reads_starting_soon_everywhere(student_client, upcoming):
    for url in ("/learn/", f"/learn/cohorts/{upcoming.pk}/", "/learn/progress/"):
        page = student_client.get(url).content.decode()
        part = page[page.index(upcoming.course.title) :] if url == "/learn/" else page
        assert "即将开课" in part, url
    cohort_page = student_client.get(f"/learn/cohorts/{upcoming.pk}/").content.decode()
    assert "在读" not in cohort_page


def test_the_checklist_before_the_start(student_client, student, upcoming, settings, tmp_path):
    SignupSettings.objects.create(wechat_id="helper_wx")
    page = student_client.get("/learn/").content.decode()
    checklist = page[page.index(f'id="checklist-{upcoming.pk}"') :]
    assert "添加助教微信" in checklist and "helper_wx" in checklist
    assert 'data-copy="assistant-wechat-' in checklist
    assert "参加入学测评" in checklist
    assert timezone.localtime(upcoming.entry_assessment_at).strftime("%H:%M") in checklist
    assert "设置密码（可选）" in checklist and 'href="/accounts/password/set/"' in checklist
    # Done items are ticked: a password set, an entry score recorded.
    student.user.set_password("a-long-password-1")
    student.user.save()
    f.make_assessment(student, upcoming, "entry", 35)
    student_client.force_login(student.user)
    page = student_client.get("/learn/").content.decode()
    checklist = page[page.index(f'id="checklist-{upcoming.pk}"') :]
    assert 'class="check-item done" id="check-entry"' in checklist
    assert 'class="check-item done" id="check-password"' in checklist


def test_no_checklist_once_the_cohort_has_started_or_for_a_cohort_left(student_client, student, upcoming):
    page = student_client.get("/learn/").content.decode()
    assert "checklist-cohort" not in page
    assert f'id="checklist-{student.enrollments.get(cohort__slug="cohort-a").cohort_id}"' not in page
    services.enrollment_end(enrollment=student.enrollments.get(cohort=upcoming), status="refunded")
    assert f'id="checklist-{upcoming.pk}"' not in student_client.get("/learn/").content.decode()


def test_the_assistant_item_is_left_out_without_a_wechat_contact(student_client, upcoming):
    page = student_client.get("/learn/").content.decode()
    assert "添加助教微信" not in page and "参加入学测评" in page


# --- access: the standing cast ---------------------------------------------------------------


def test_strangers_get_404_on_the_lesson_list_and_materials(
    client, other_client, outsider_client, founder_client, student_client, cohort_a
):
    lesson = lesson_at(cohort_a, -120)
    material = services.lesson_material_add(lesson=lesson, title="讲义", file=upload("讲义.pdf", PDF))
    lessons_url, file_url = f"/learn/cohorts/{cohort_a.pk}/lessons/", f"/files/materials/{material.pk}/"
    for c in (other_client, outsider_client):
        assert c.get(lessons_url).status_code == 404
        assert c.get(file_url).status_code == 404
    assert founder_client.get(lessons_url).status_code == 403  # staff have no learner profile
    assert client.get(lessons_url).status_code == 302
    assert client.get(file_url).status_code == 302
    response = student_client.get(file_url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in response["Content-Disposition"]
    assert founder_client.get(file_url).status_code == 200


def test_the_lesson_list_shows_replays_and_materials(student_client, cohort_a):
    lesson = lesson_at(cohort_a, -200, recording_url="https://video.example.com/r2")
    services.lesson_material_add(lesson=lesson, title="课件", file=upload("slides.pdf", PDF))
    services.lesson_material_add(lesson=lesson, url="https://github.com/example/code")
    page = student_client.get(f"/learn/cohorts/{cohort_a.pk}/lessons/").content.decode()
    assert "https://video.example.com/r2" in page
    assert "课件" in page and "/files/materials/" in page
    assert "https://github.com/example/code" in page
    cohort_page = student_client.get(f"/learn/cohorts/{cohort_a.pk}/").content.decode()
    assert "https://video.example.com/r2" in cohort_page  # the latest lesson's replay


# --- the founder adds replay and materials ---------------------------------------------------


def test_the_founder_adds_a_replay_file_and_link_and_removes_one(founder_client, cohort_a):
    lesson = lesson_at(cohort_a, -200)
    url = f"/console/cohorts/{cohort_a.pk}/lessons/{lesson.pk}/"
    page = founder_client.get(url)
    assert page.status_code == 200 and 'id="materials"' in page.content.decode()
    data = {
        "title": lesson.title,
        "starts_at": timezone.localtime(lesson.starts_at).strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": 90,
        "meeting_url": JOIN,
        "recording_url": "https://video.example.com/after-class",
        "notes": "",
    }
    assert founder_client.post(url, data).status_code == 302
    lesson.refresh_from_db()
    assert lesson.recording_url == "https://video.example.com/after-class"
    add = f"/console/lessons/{lesson.pk}/materials/"
    assert founder_client.post(add, {"material-file": upload("讲义.pdf", PDF)}).status_code == 302
    assert (
        founder_client.post(
            add, {"material-url": "https://docs.example.com/a", "material-title": "阅读"}
        ).status_code
        == 302
    )
    assert sorted(LessonMaterial.objects.values_list("title", flat=True)) == ["讲义.pdf", "阅读"]
    stored = LessonMaterial.objects.get(title="讲义.pdf")
    assert stored.content_type == "application/pdf" and stored.file_size == len(PDF)
    assert founder_client.post(f"/console/materials/{stored.pk}/remove/").status_code == 302
    assert list(LessonMaterial.objects.values_list("title", flat=True)) == ["阅读"]


def test_a_bad_material_shows_an_error_next_to_the_field(founder_client, cohort_a):
    lesson = lesson_at(cohort_a, -200)
    add = f"/console/lessons/{lesson.pk}/materials/"
    renamed = founder_client.post(add, {"material-file": upload("slides.pdf", EXE)})
    assert renamed.status_code == 400 and renamed.context["material_form"].errors["file"]
    neither = founder_client.post(add, {"material-title": "空的"})
    assert neither.status_code == 400 and neither.context["material_form"].errors["url"]
    both = founder_client.post(
        add, {"material-url": "https://x.example.com", "material-file": upload("a.pdf", PDF)}
    )
    assert both.status_code == 400
    assert not LessonMaterial.objects.exists()


def test_only_staff_manage_materials(student_client, outsider_client, client, cohort_a):
    lesson = lesson_at(cohort_a, -200)
    material = services.lesson_material_add(lesson=lesson, url="https://docs.example.com/keep")
    add = f"/console/lessons/{lesson.pk}/materials/"
    for c in (student_client, outsider_client):
        assert c.post(add, {"material-url": "https://evil.example.com"}).status_code == 403
        assert c.post(f"/console/materials/{material.pk}/remove/").status_code == 403
    assert client.post(f"/console/materials/{material.pk}/remove/").status_code == 302  # to sign in
    assert list(LessonMaterial.objects.values_list("url", flat=True)) == ["https://docs.example.com/keep"]


def test_the_checklist_links_the_published_online_entry_test(student_client, student, upcoming):
    from cohorts.models import Quiz

    draft = Quiz.objects.create(cohort=upcoming, kind="entry", title="草稿", opens_at=timezone.now())
    page = student_client.get("/learn/").content.decode()
    assert f'href="/learn/tests/{draft.pk}/"' not in page  # not published: the planned date instead
    quiz = Quiz.objects.create(
        cohort=upcoming, kind="entry", title="入学测评", opens_at=timezone.now(), is_published=True
    )
    page = student_client.get("/learn/").content.decode()
    assert f'href="/learn/tests/{quiz.pk}/"' in page and "去做入学测评" in page
    f.make_assessment(student, upcoming, "entry", 48)
    page = student_client.get("/learn/").content.decode()
    assert f'href="/learn/tests/{quiz.pk}/"' not in page  # taken: ticked, no link
