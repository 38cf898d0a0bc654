"""The lesson schedule generator and the copy from a previous cohort, through HTTP as the
founder: previews that write nothing, exact dates in the site's time zone, field errors, and a
double submit that creates nothing twice."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from cohorts import scheduling
from cohorts.models import Assignment, Cohort, FeedbackTemplate, Lesson
from tests import factories as f

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def winter(db) -> Cohort:
    """A cohort starting on Tuesday 8 December 2026."""
    return f.make_cohort(slug="winter", name="冬季班", starts_on=date(2026, 12, 8), ends_on=date(2027, 1, 31))


def url(cohort: Cohort, what: str = "schedule") -> str:
    return f"/console/cohorts/{cohort.pk}/{what}/"


def pattern(*rows: dict, action: str = "preview", **fields) -> dict:
    """The generator's POST as the browser sends it: four rows, the unused ones left at their
    default time and length."""
    data: dict = {
        "rows-TOTAL_FORMS": "4",
        "rows-INITIAL_FORMS": "0",
        "rows-MIN_NUM_FORMS": "0",
        "rows-MAX_NUM_FORMS": "4",
        "first_day": "2026-12-08",
        "weeks": "4",
        "skip_dates": "",
        "action": action,
    }
    data.update(fields)
    for index in range(4):
        row = rows[index] if index < len(rows) else {}
        data[f"rows-{index}-title"] = row.get("title", "")
        data[f"rows-{index}-weekdays"] = row.get("weekdays", [])
        data[f"rows-{index}-clock"] = row.get("clock", "20:00")
        data[f"rows-{index}-duration_minutes"] = row.get("duration_minutes", "90")
    return data


def create(client, cohort: Cohort, data: dict):
    """Preview the pattern, then press the create button the preview shows (it carries the
    preview's fingerprint)."""
    preview = client.post(url(cohort), {**data, "action": "preview"})
    assert preview.status_code == 200, preview.context and preview.context["form"].errors
    return client.post(url(cohort), {**data, "action": "create", "previewed": preview.context["plan"].digest})


LIVE = {"title": "直播 第{n}讲", "weekdays": ["1"], "clock": "20:00"}
QA = {"title": "答疑 第{week}周", "weekdays": ["3"], "clock": "20:00", "duration_minutes": "60"}


def local(lesson_or_moment) -> datetime:
    moment = getattr(lesson_or_moment, "starts_at", lesson_or_moment)
    return timezone.localtime(moment, SHANGHAI)


# --- who may -----------------------------------------------------------------------------


@pytest.mark.parametrize("what", ["schedule", "copy"])
def test_students_and_outsiders_are_refused(what, winter, student_client, outsider_client, client):
    for refused in (student_client, outsider_client):
        assert refused.get(url(winter, what)).status_code == 403
        assert refused.post(url(winter, what), pattern(LIVE, action="create")).status_code == 403
    response = client.post(url(winter, what), pattern(LIVE, action="create"))
    assert response.status_code == 302 and "/login" in response["Location"]
    assert not Lesson.objects.filter(cohort=winter).exists()


def test_unknown_cohort_is_404(founder_client):
    assert founder_client.get("/console/cohorts/999999/schedule/").status_code == 404
    assert founder_client.get("/console/cohorts/999999/copy/").status_code == 404


def test_the_cohort_page_links_to_both(founder_client, winter):
    page = founder_client.get(f"/console/cohorts/{winter.pk}/").content.decode()
    assert url(winter) in page and url(winter, "copy") in page


# --- the generator -----------------------------------------------------------------------


def test_the_form_starts_from_the_cohorts_start_date(founder_client, winter):
    response = founder_client.get(url(winter))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="2026-12-08"' in page
    assert "周二" in page and "20:00" in page


def test_preview_lists_the_lessons_in_chinese_and_creates_nothing(founder_client, winter):
    response = founder_client.post(url(winter), pattern(LIVE, QA, skip_dates="2026-12-24"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "12月8日 周二 20:00" in page
    assert "12月10日 周四 20:00" in page
    assert "12月24日" in page  # shown as skipped
    assert "创建 7 节课" in page
    assert not Lesson.objects.filter(cohort=winter).exists()


def test_a_schedule_with_skip_dates_creates_exactly_those_lessons(founder_client, winter):
    response = create(founder_client, winter, pattern(LIVE, QA, skip_dates="2026-12-24，2026-12-31"))
    assert response.status_code == 302 and response["Location"] == f"/console/cohorts/{winter.pk}/"
    lessons = list(Lesson.objects.filter(cohort=winter).order_by("starts_at"))
    assert [(local(lesson).date(), lesson.title, lesson.duration_minutes) for lesson in lessons] == [
        (date(2026, 12, 8), "直播 第1讲", 90),
        (date(2026, 12, 10), "答疑 第1周", 60),
        (date(2026, 12, 15), "直播 第2讲", 90),
        (date(2026, 12, 17), "答疑 第2周", 60),
        (date(2026, 12, 22), "直播 第3讲", 90),
        (date(2026, 12, 29), "直播 第4讲", 90),
    ]
    # 20:00 in Shanghai is 12:00 UTC, every one of them.
    assert {local(lesson).time() for lesson in lessons} == {time(20, 0)}
    assert {lesson.starts_at.astimezone(ZoneInfo("UTC")).hour for lesson in lessons} == {12}


def test_the_lessons_stay_editable_one_by_one(founder_client, winter):
    create(founder_client, winter, pattern(LIVE, weeks="2"))
    first = Lesson.objects.filter(cohort=winter).earliest("starts_at")
    edit = f"/console/cohorts/{winter.pk}/lessons/{first.pk}/"
    assert founder_client.get(edit).status_code == 200
    response = founder_client.post(
        edit, {"title": "开营直播", "starts_at": "2026-12-08T19:30", "duration_minutes": "120"}
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.title == "开营直播" and local(first).time() == time(19, 30)
    assert Lesson.objects.filter(cohort=winter).count() == 2


def test_submitting_the_same_schedule_twice_creates_it_once(founder_client, winter):
    data = pattern(LIVE, QA)
    preview = founder_client.post(url(winter), data)
    data = {**data, "action": "create", "previewed": preview.context["plan"].digest}
    assert founder_client.post(url(winter), data).status_code == 302
    again = founder_client.post(url(winter), data)
    assert again.status_code == 400
    assert "12月8日 周二 20:00" in again.content.decode() and "冲突" in again.content.decode()
    assert Lesson.objects.filter(cohort=winter).count() == 8


def test_create_without_reading_the_preview_only_previews(founder_client, winter):
    response = founder_client.post(url(winter), pattern(LIVE, action="create"))
    assert response.status_code == 200
    assert "创建 4 节课" in response.content.decode() and "预览之后" in response.content.decode()
    assert not Lesson.objects.filter(cohort=winter).exists()


def test_a_pattern_changed_after_its_preview_is_previewed_again(founder_client, winter):
    preview = founder_client.post(url(winter), pattern(LIVE))
    digest = preview.context["plan"].digest
    response = founder_client.post(url(winter), pattern(LIVE, weeks="6", action="create", previewed=digest))
    assert response.status_code == 200
    assert len(response.context["plan"].lessons) == 6
    assert not Lesson.objects.filter(cohort=winter).exists()
    response = founder_client.post(
        url(winter), pattern(LIVE, weeks="6", action="create", previewed=response.context["plan"].digest)
    )
    assert response.status_code == 302
    assert Lesson.objects.filter(cohort=winter).count() == 6


def test_a_clash_with_an_existing_lesson_is_refused_next_to_the_time(founder_client, winter):
    f.make_lesson(winter, title="开营仪式", starts_at=f.aware(2026, 12, 15, 19, 0), duration_minutes=90)
    response = founder_client.post(url(winter), pattern(LIVE, action="create"))
    assert response.status_code == 400
    errors = response.context["rows"].forms[0].errors
    assert "12月15日 周二 20:00" in errors["clock"][0] and "开营仪式" in errors["clock"][0]
    assert Lesson.objects.filter(cohort=winter).count() == 1


def test_two_rows_at_the_same_time_clash(founder_client, winter):
    response = founder_client.post(url(winter), pattern(LIVE, {**QA, "weekdays": ["1"]}))
    assert response.status_code == 400
    assert "clock" in response.context["rows"].forms[1].errors


@pytest.mark.parametrize(
    ("rows", "fields", "where", "field"),
    [
        ([{**LIVE, "weekdays": []}], {}, "row", "weekdays"),
        ([LIVE], {"weeks": "0"}, "form", "weeks"),
        ([LIVE], {"weeks": ""}, "form", "weeks"),
        ([LIVE], {"skip_dates": "2026-12-24, 圣诞节"}, "form", "skip_dates"),
        ([LIVE], {"skip_dates": "2026-02-30"}, "form", "skip_dates"),
        ([{**LIVE, "clock": "25:00"}], {}, "row", "clock"),
        ([{**LIVE, "title": ""}], {}, "row", "title"),
        ([LIVE], {"first_day": "明天"}, "form", "first_day"),
    ],
)
def test_bad_input_gets_an_error_next_to_its_field(founder_client, winter, rows, fields, where, field):
    response = founder_client.post(url(winter), pattern(*rows, action="create", **fields))
    assert response.status_code == 400
    form = response.context["rows"].forms[0] if where == "row" else response.context["form"]
    assert field in form.errors
    assert f'id="field-{form[field].html_name}"' in response.content.decode()
    assert not Lesson.objects.filter(cohort=winter).exists()


def test_an_empty_pattern_is_refused(founder_client, winter):
    response = founder_client.post(url(winter), pattern(action="create"))
    assert response.status_code == 400
    assert response.context["rows"].non_form_errors()
    assert not Lesson.objects.filter(cohort=winter).exists()


def test_every_lesson_skipped_is_refused(founder_client, winter):
    response = founder_client.post(url(winter), pattern(LIVE, weeks="1", skip_dates="2026-12-08"))
    assert response.status_code == 400
    assert "skip_dates" in response.context["form"].errors


def test_skip_dates_that_match_no_lesson_are_named(founder_client, winter):
    response = founder_client.post(url(winter), pattern(LIVE, weeks="2", skip_dates="2026-12-09"))
    assert response.status_code == 200
    assert "12月9日 周三" in response.content.decode()
    assert len(response.context["plan"].lessons) == 2


def test_the_plan_keeps_the_local_clock_across_a_dst_change():
    # Berlin leaves summer time on 25 October 2026: 20:00 local is 18:00 UTC before, 19:00 after.
    rows = [scheduling.ScheduleRow(title="Live {n}", weekdays=(1,), clock=time(20, 0))]
    plan = scheduling.schedule_plan(rows=rows, first_day=date(2026, 10, 19), weeks=2, tz=BERLIN)
    assert [lesson.starts_at.astimezone(BERLIN).hour for lesson in plan.lessons] == [20, 20]
    assert [lesson.starts_at.astimezone(ZoneInfo("UTC")).hour for lesson in plan.lessons] == [18, 19]
    shifted = scheduling.shift_local(plan.lessons[0].starts_at, 7, BERLIN)
    assert shifted == plan.lessons[1].starts_at


# --- copy from a previous cohort -----------------------------------------------------------


@pytest.fixture
def autumn(winter) -> Cohort:
    """The previous cohort of the same course, eight weeks earlier (Tuesday 13 October),
    with lessons, assignments and its enrollment e-mail."""
    cohort = f.make_cohort(
        winter.course,
        slug="autumn",
        name="秋季班",
        starts_on=date(2026, 10, 13),
        ends_on=date(2026, 12, 6),
        enrollment_instructions="欢迎！每周二 20:00 上课。",
    )
    f.make_lesson(
        cohort,
        title="第1课：定义产品",
        starts_at=f.aware(2026, 10, 13, 20, 0),
        duration_minutes=120,
        notes="带上你的想法",
        meeting_url="https://meeting.example.com/autumn",
        recording_url="https://video.example.com/1",
    )
    f.make_lesson(cohort, title="第2课：建表", starts_at=f.aware(2026, 10, 15, 20, 0))
    f.make_assignment(
        cohort,
        title="第1周：定义毕业标准",
        instructions="写下你的毕业标准。",
        standard="三条可衡量的标准。",
        due_at=f.aware(2026, 10, 18, 23, 59),
        pass_mark=Decimal("70"),
    )
    f.make_assignment(
        cohort,
        title="结业项目",
        due_at=f.aware(2026, 12, 1, 23, 59),
        is_graduation_project=True,
        accepts_late=False,
    )
    return cohort


def test_copy_preview_shows_the_shifted_dates_and_writes_nothing(founder_client, winter, autumn):
    f.make_feedback_template(title="结构清晰")
    response = founder_client.post(url(winter, "copy"), {"source": autumn.pk, "action": "preview"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "12月8日 周二 20:00" in page and "10月13日 周二 20:00" in page
    assert "12月13日 周日 23:59" in page  # the first assignment's new due time
    assert "三条可衡量的标准。" in page
    assert "欢迎！每周二 20:00 上课。" in page
    assert "56 天" in page
    assert not Lesson.objects.filter(cohort=winter).exists()
    assert not Assignment.objects.filter(cohort=winter).exists()
    winter.refresh_from_db()
    assert winter.enrollment_instructions == ""


def test_a_cohort_is_copied_with_its_dates_shifted(founder_client, winter, autumn):
    templates = f.make_feedback_template(title="结构清晰"), f.make_feedback_template(title="继续加油")
    response = founder_client.post(url(winter, "copy"), {"source": autumn.pk, "action": "create"})
    assert response.status_code == 302 and response["Location"] == f"/console/cohorts/{winter.pk}/"

    lessons = list(Lesson.objects.filter(cohort=winter).order_by("starts_at"))
    assert [(lesson.title, local(lesson)) for lesson in lessons] == [
        ("第1课：定义产品", datetime(2026, 12, 8, 20, 0, tzinfo=SHANGHAI)),
        ("第2课：建表", datetime(2026, 12, 10, 20, 0, tzinfo=SHANGHAI)),
    ]
    first = lessons[0]
    assert (first.duration_minutes, first.notes) == (120, "带上你的想法")
    assert first.meeting_url == "" and first.recording_url == ""  # the old cohort's links stay there

    assignments = list(Assignment.objects.filter(cohort=winter).order_by("due_at"))
    assert [
        (a.title, a.standard, a.instructions, local(a.due_at), a.pass_mark, a.is_graduation_project, a.accepts_late)
        for a in assignments
    ] == [
        ("第1周：定义毕业标准", "三条可衡量的标准。", "写下你的毕业标准。", datetime(2026, 12, 13, 23, 59, tzinfo=SHANGHAI), Decimal("70"), False, True),
        ("结业项目", "能运行。", "完成练习。", datetime(2027, 1, 26, 23, 59, tzinfo=SHANGHAI), Decimal("60"), True, False),
    ]  # fmt: skip
    winter.refresh_from_db()
    assert winter.enrollment_instructions == "欢迎！每周二 20:00 上课。"
    # Feedback templates belong to no cohort: both cohorts use the same ones, none duplicated.
    assert set(FeedbackTemplate.objects.all()) == set(templates)
    # The source is untouched.
    assert Lesson.objects.filter(cohort=autumn).count() == 2
    assert Assignment.objects.filter(cohort=autumn).count() == 2


def test_copying_twice_copies_once(founder_client, winter, autumn):
    data = {"source": autumn.pk, "action": "create"}
    assert founder_client.post(url(winter, "copy"), data).status_code == 302
    again = founder_client.post(url(winter, "copy"), data)
    assert again.status_code == 400
    assert "已经有课" in again.content.decode()
    assert Lesson.objects.filter(cohort=winter).count() == 2
    assert Assignment.objects.filter(cohort=winter).count() == 2


def test_a_cohort_with_lessons_is_told_before_copying(founder_client, winter, autumn):
    f.make_lesson(winter, title="开营仪式", starts_at=f.aware(2026, 12, 7, 20, 0))
    page = founder_client.get(url(winter, "copy")).content.decode()
    assert 'id="copy-refusal"' in page
    assert (
        founder_client.post(url(winter, "copy"), {"source": autumn.pk, "action": "preview"}).status_code
        == 400
    )


def test_own_instructions_are_kept(founder_client, winter, autumn):
    Cohort.objects.filter(pk=winter.pk).update(enrollment_instructions="冬季班专属说明")
    founder_client.post(url(winter, "copy"), {"source": autumn.pk, "action": "create"})
    winter.refresh_from_db()
    assert winter.enrollment_instructions == "冬季班专属说明"
    assert Lesson.objects.filter(cohort=winter).count() == 2


def test_only_cohorts_of_the_same_course_can_be_copied(founder_client, winter, autumn):
    stranger = f.make_cohort(slug="other-course", starts_on=date(2026, 9, 1))
    f.make_lesson(stranger, title="别的课")
    page = founder_client.get(url(winter, "copy")).content.decode()
    assert "秋季班" in page and stranger.name not in page
    response = founder_client.post(url(winter, "copy"), {"source": stranger.pk, "action": "create"})
    assert response.status_code == 400 and "source" in response.context["form"].errors
    response = founder_client.post(url(winter, "copy"), {"source": winter.pk, "action": "create"})
    assert response.status_code == 400
    response = founder_client.post(url(winter, "copy"), {"source": "秋季", "action": "create"})
    assert response.status_code == 400
    assert not Lesson.objects.filter(cohort=winter).exists()


def test_a_cohort_alone_in_its_course_says_so(founder_client):
    alone = f.make_cohort(slug="alone")
    response = founder_client.get(url(alone, "copy"))
    assert response.status_code == 200 and "没有其他" in response.content.decode()


def test_a_copy_across_weekdays_warns_and_keeps_the_clock(founder_client, winter, autumn):
    Cohort.objects.filter(pk=winter.pk).update(starts_on=date(2026, 12, 9))  # a Wednesday
    response = founder_client.post(url(winter, "copy"), {"source": autumn.pk, "action": "preview"})
    assert response.context["plan"].weekdays_change
    assert "12月9日 周三 20:00" in response.content.decode()


def test_previews_take_a_bounded_number_of_queries(
    founder_client, winter, autumn, django_assert_max_num_queries
):
    for week in range(3, 20):
        f.make_lesson(
            autumn, title=f"第{week}课", starts_at=f.aware(2026, 10, 13, 20) + timedelta(weeks=week)
        )
        f.make_assignment(
            autumn, title=f"第{week}周作业", due_at=f.aware(2026, 10, 18, 23, 59) + timedelta(weeks=week)
        )
    f.make_lesson(winter, title="开营仪式", starts_at=f.aware(2026, 12, 1, 20, 0))
    with django_assert_max_num_queries(15):
        response = founder_client.post(url(winter), pattern(LIVE, QA, weeks="20"))
    assert len(response.context["plan"].lessons) == 40
    Lesson.objects.filter(cohort=winter).delete()
    with django_assert_max_num_queries(15):
        response = founder_client.post(url(winter, "copy"), {"source": autumn.pk, "action": "preview"})
    assert len(response.context["plan"].lessons) == 19


def test_creating_takes_the_same_queries_for_forty_lessons_as_for_four(
    founder_client, winter, autumn, django_assert_max_num_queries
):
    """Each planned row is validated without asking the database for its cohort again."""
    data = pattern(LIVE, QA, weeks="20")
    digest = founder_client.post(url(winter), data).context["plan"].digest
    with django_assert_max_num_queries(18):
        response = founder_client.post(url(winter), {**data, "action": "create", "previewed": digest})
    assert response.status_code == 302 and Lesson.objects.filter(cohort=winter).count() == 40
    Lesson.objects.filter(cohort=winter).delete()
    for week in range(3, 20):
        f.make_lesson(
            autumn, title=f"第{week}课", starts_at=f.aware(2026, 10, 13, 20) + timedelta(weeks=week)
        )
    with django_assert_max_num_queries(18):
        response = founder_client.post(url(winter, "copy"), {"source": autumn.pk, "action": "create"})
    assert response.status_code == 302 and Lesson.objects.filter(cohort=winter).count() >= 17


def test_a_later_cohort_can_be_copied_too_with_dates_moved_earlier(founder_client, winter):
    spring = f.make_cohort(
        winter.course, slug="spring", name="春季班", starts_on=date(2027, 3, 9), ends_on=date(2027, 5, 1)
    )
    f.make_lesson(spring, title="第1课", starts_at=f.aware(2027, 3, 11, 20, 0))
    response = founder_client.post(url(winter, "copy"), {"source": spring.pk, "action": "preview"})
    assert "所有日期提前 91 天" in response.content.decode()
    founder_client.post(url(winter, "copy"), {"source": spring.pk, "action": "create"})
    assert local(Lesson.objects.get(cohort=winter)) == datetime(2026, 12, 10, 20, 0, tzinfo=SHANGHAI)


def test_a_post_without_the_form_is_a_400_not_a_500(founder_client, winter):
    assert founder_client.post(url(winter), {}).status_code == 400
    assert founder_client.post(url(winter), {**pattern(LIVE), "rows-TOTAL_FORMS": "900"}).status_code == 400
    assert founder_client.post(url(winter, "copy"), {}).status_code == 400
    assert not Lesson.objects.filter(cohort=winter).exists()
