"""Courses and cohorts authored in the console (#15): the course editor with its FAQ and images,
draft / published, the cohort form with its enrolment window, the window enforced at checkout,
and the cohort page's list of what is still missing before the first lesson."""

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from billing.models import Order
from cohorts.models import Cohort, Course, CourseFAQ
from tests import factories as f


def png(size=(120, 80)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (15, 118, 110)).save(buffer, format="PNG")
    return buffer.getvalue()


def faq_management(total=2, initial=0) -> dict:
    return {
        "faq-TOTAL_FORMS": str(total),
        "faq-INITIAL_FORMS": str(initial),
        "faq-MIN_NUM_FORMS": "0",
        "faq-MAX_NUM_FORMS": "30",
    }


def course_data(**overrides) -> dict:
    data = {
        "title": "AI 编程实战营",
        "slug": "ai-coding",
        "tagline": "8 周做出你的第一个 AI 应用",
        "status": "draft",
        "audience": "- 想用 AI 提效的**职场人**",
        "outcomes": "- 一个上线的应用",
        "description": "",
        "graduation_standard": "交付一个能公开访问的应用。",
        "teacher_name": "王老师",
        "teacher_bio": "十年全栈开发。",
        "refund_policy": "",
        **faq_management(),
        "faq-0-question": "零基础能学吗？",
        "faq-0-answer": "能，第一周从安装开始。",
        "faq-0-position": "1",
        "faq-1-question": "",
        "faq-1-answer": "",
        "faq-1-position": "0",
    }
    data.update(overrides)
    return data


def cohort_data(**overrides) -> dict:
    today = timezone.localdate()
    data = {
        "name": "第 3 期",
        "slug": "",
        "starts_on": (today + timedelta(days=20)).isoformat(),
        "ends_on": (today + timedelta(days=76)).isoformat(),
        "capacity": "30",
        "price": "2999.00",
        "sale_open": "on",
        "enrolment_opens_at": "",
        "enrolment_closes_at": "",
        "meeting_url": "https://meeting.tencent.com/dm/abc",
        "entry_assessment_at": "",
        "enrollment_instructions": "欢迎！扫码进群。",
    }
    data.update(overrides)
    return data


# --- access --------------------------------------------------------------------------------


def authoring_urls(course, cohort):
    return [
        "/console/courses/",
        "/console/courses/new/",
        f"/console/courses/{course.pk}/",
        f"/console/courses/{course.pk}/cohorts/new/",
        f"/console/cohorts/{cohort.pk}/edit/",
    ]


def test_the_authoring_pages_are_for_staff_only(
    client, student_client, outsider_client, founder_client, cohort_a
):
    for url in authoring_urls(cohort_a.course, cohort_a):
        assert client.get(url).status_code == 302, url
        assert client.get(url)["Location"].startswith("/accounts/login/")
        assert student_client.get(url).status_code == 403, url
        assert outsider_client.get(url).status_code == 403, url
        assert founder_client.get(url).status_code == 200, url


def test_students_and_anonymous_cannot_post(client, student_client, outsider_client, cohort_a):
    course = cohort_a.course
    for c in (client, student_client, outsider_client):
        assert c.post("/console/courses/new/", course_data(slug="hijack")).status_code in (302, 403)
        c.post(f"/console/courses/{course.pk}/", course_data(slug=course.slug, title="被改了"))
        c.post(f"/console/courses/{course.pk}/cohorts/new/", cohort_data(slug="hijack-1"))
        c.post(f"/console/cohorts/{cohort_a.pk}/edit/", cohort_data(name="被改了"))
        assert c.post("/console/markdown-preview/?field=t", {"t": "**x**"}).status_code in (302, 403)
    assert not Course.objects.filter(slug="hijack").exists()
    assert not Cohort.objects.filter(slug="hijack-1").exists()
    course.refresh_from_db()
    cohort_a.refresh_from_db()
    assert course.title != "被改了" and cohort_a.name != "被改了"


# --- the course editor ---------------------------------------------------------------------


def test_the_founder_creates_a_draft_course_with_faq_and_images(founder_client, db):
    response = founder_client.post(
        "/console/courses/new/",
        course_data(
            cover_image=SimpleUploadedFile("cover.jpg", png((1200, 630))),  # named .jpg: judged by bytes
            teacher_photo=SimpleUploadedFile("me.png", png((200, 200))),
        ),
    )
    course = Course.objects.get(slug="ai-coding")
    assert response.status_code == 302 and response["Location"] == f"/console/courses/{course.pk}/"
    assert course.status == Course.Status.DRAFT and course.teacher_name == "王老师"
    assert course.cover_image.name.endswith(".png") and course.teacher_photo.name.endswith(".png")
    assert list(course.faqs.values_list("question", "answer")) == [
        ("零基础能学吗？", "能，第一周从安装开始。")
    ]
    page = founder_client.get(f"/console/courses/{course.pk}/").content.decode()
    assert "零基础能学吗？" in page
    assert "<strong>职场人</strong>" in page  # the first preview comes rendered with the page
    cover = founder_client.get(f"/courses/{course.slug}/cover.image")
    assert cover.status_code == 200 and cover["Content-Type"] == "image/png"


def test_the_course_editor_edits_and_deletes_faq_entries(founder_client, db):
    course = f.make_course(slug="data", title="数据分析")
    first = CourseFAQ.objects.create(
        course=course, question="要会 Excel 吗？", answer="会一点就行。", position=1
    )
    second = CourseFAQ.objects.create(course=course, question="有回放吗？", answer="有。", position=2)
    data = course_data(
        slug="data", title="数据分析训练营", status="published",
        **faq_management(total=3, initial=2),
        **{
            "faq-0-id": str(first.pk), "faq-0-question": "要会 Excel 吗？", "faq-0-answer": "不会也行。",
            "faq-0-position": "1",
            "faq-1-id": str(second.pk), "faq-1-question": "有回放吗？", "faq-1-answer": "有。",
            "faq-1-position": "2", "faq-1-DELETE": "on",
            "faq-2-question": "", "faq-2-answer": "", "faq-2-position": "0",
        },
    )  # fmt: skip
    assert founder_client.post(f"/console/courses/{course.pk}/", data).status_code == 302
    course.refresh_from_db()
    assert course.title == "数据分析训练营" and course.is_published
    assert list(course.faqs.values_list("question", "answer")) == [("要会 Excel 吗？", "不会也行。")]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": ""}, "title", "这个字段是必填项。"),
        ({"slug": "AI 编程"}, "slug", "slug"),
        ({"status": "live"}, "status", "选择一个有效的选项"),
        (
            {"cover_image": SimpleUploadedFile("x.png", b"<svg onload=alert(1)>")},
            "cover_image",
            "PNG、JPEG 或 WebP",
        ),
        ({"faq-0-answer": ""}, "faq-0-answer", "这个字段是必填项。"),
    ],
)
def test_bad_course_input_is_refused_next_to_the_field(founder_client, db, overrides, field, message):
    response = founder_client.post("/console/courses/new/", course_data(**overrides))
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="id_{field}_error"' in page
    assert message.lower() in page.lower() or field == "slug"
    assert not Course.objects.exists()


def test_a_duplicate_course_slug_is_a_field_error(founder_client, db):
    f.make_course(slug="ai-coding")
    response = founder_client.post("/console/courses/new/", course_data())
    assert response.status_code == 400
    assert 'id="id_slug_error"' in response.content.decode()
    assert Course.objects.count() == 1


def test_the_markdown_preview_is_rendered_and_sanitised(founder_client, db):
    response = founder_client.post(
        "/console/markdown-preview/?field=audience",
        {"audience": "**粗体** <script>alert(1)</script> [x](javascript:alert(1))", "other": "# no"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>粗体</strong>" in html
    assert "<script" not in html and "javascript:" not in html and "<h1>" not in html


# --- draft and published -------------------------------------------------------------------


def test_a_draft_course_page_is_404_for_prospects_and_a_preview_for_staff(
    client, student_client, founder_client, db
):
    course = f.make_course(slug="draft-course", title="还在写的课", status="draft", cover_image="")
    f.make_cohort(course=course, slug="draft-course-1", sale_open=True, starts_on=timezone.localdate())
    for c in (client, student_client):
        assert c.get("/courses/draft-course/").status_code == 404
        assert c.get("/courses/draft-course-1/").status_code == 404
        assert c.get("/courses/draft-course-1/buy/").status_code == 404
    assert "还在写的课" not in client.get("/courses/").content.decode()
    preview = founder_client.get("/courses/draft-course/")
    assert preview.status_code == 200 and "还在写的课" in preview.content.decode()


def test_publishing_a_course_puts_its_page_online(client, founder_client, db):
    founder_client.post("/console/courses/new/", course_data())
    course = Course.objects.get(slug="ai-coding")
    assert client.get("/courses/ai-coding/").status_code == 404
    founder_client.post(f"/console/courses/{course.pk}/", course_data(status="published"))
    page = client.get("/courses/ai-coding/")
    assert page.status_code == 200 and "AI 编程实战营" in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_migration_turns_active_courses_published_and_inactive_ones_drafts():
    before = [("cohorts", "0004_submission_showcase_index")]
    after = [("cohorts", "0005_course_status_sales_fields_cohort_enrolment_window")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps.get_model("cohorts", "Course")
        old.objects.create(slug="live", title="在售", is_active=True)
        old.objects.create(slug="retired", title="停售", is_active=False)
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        new = executor.loader.project_state(after).apps.get_model("cohorts", "Course")
        assert dict(new.objects.values_list("slug", "status")) == {"live": "published", "retired": "draft"}
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert Course._meta.get_field("status").default == Course.Status.DRAFT  # a new course starts as a draft


def test_the_course_list_does_not_grow_with_courses(founder_client, db, django_assert_max_num_queries):
    for n in range(2):
        f.make_cohort(course=f.make_course(title=f"课 {n}"))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert founder_client.get("/console/courses/").status_code == 200
        return len(queries)

    count()  # the first request caches the site's settings row
    small = count()
    for n in range(6):
        course = f.make_course(title=f"更多课 {n}", status="draft" if n % 2 else "published")
        f.make_cohort(course=course)
        f.make_cohort(course=course, starts_on=timezone.localdate() + timedelta(days=30))
    with django_assert_max_num_queries(8):
        page = founder_client.get("/console/courses/")
    assert page.status_code == 200 and "更多课 5" in page.content.decode()
    assert count() == small


# --- the cohort form -----------------------------------------------------------------------


def test_the_founder_creates_a_cohort_under_a_course(founder_client, db):
    course = f.make_course(slug="ai-coding")
    f.make_cohort(course=course, slug="ai-coding-1")
    opens = timezone.localtime() + timedelta(days=1)
    data = cohort_data(
        enrolment_opens_at=opens.strftime("%Y-%m-%dT%H:%M"),
        enrolment_closes_at=(opens + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M"),
    )
    response = founder_client.post(f"/console/courses/{course.pk}/cohorts/new/", data)
    cohort = Cohort.objects.get(name="第 3 期")
    assert response.status_code == 302 and response["Location"] == f"/console/cohorts/{cohort.pk}/"
    assert cohort.slug == "ai-coding-2" and cohort.course == course
    assert cohort.price == Decimal("2999.00") and cohort.capacity == 30 and cohort.sale_open
    assert cohort.enrolment_opens_at == opens.replace(second=0, microsecond=0)
    assert cohort.meeting_url == "https://meeting.tencent.com/dm/abc"


def test_the_founder_edits_a_cohort(founder_client, cohort_a):
    data = cohort_data(name="第 2 期（加开）", slug=cohort_a.slug, capacity="40", sale_open="")
    assert founder_client.post(f"/console/cohorts/{cohort_a.pk}/edit/", data).status_code == 302
    cohort_a.refresh_from_db()
    assert (cohort_a.name, cohort_a.capacity, cohort_a.sale_open) == ("第 2 期（加开）", 40, False)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"capacity": "0"}, "capacity"),
        ({"price": "-1"}, "price"),
        ({"price": "abc"}, "price"),
        ({"starts_on": "2027-02-30"}, "starts_on"),
        ({"ends_on": "2020-01-01"}, "ends_on"),
        ({"meeting_url": "javascript:alert(1)"}, "meeting_url"),
        (
            {"enrolment_opens_at": "2027-01-10T10:00", "enrolment_closes_at": "2027-01-09T10:00"},
            "enrolment_closes_at",
        ),
        ({"slug": "有空格 的"}, "slug"),
    ],
)
def test_bad_cohort_input_is_refused_next_to_the_field(founder_client, db, overrides, field):
    course = f.make_course()
    response = founder_client.post(f"/console/courses/{course.pk}/cohorts/new/", cohort_data(**overrides))
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not Cohort.objects.exists()


def test_a_cohort_slug_already_taken_is_a_field_error(founder_client, cohort_a):
    course = f.make_course()
    response = founder_client.post(
        f"/console/courses/{course.pk}/cohorts/new/", cohort_data(slug=cohort_a.slug)
    )
    assert response.status_code == 400
    assert 'id="id_slug_error"' in response.content.decode()


# --- the enrolment window at checkout ------------------------------------------------------


def checkout(client, cohort):
    return client.post(
        f"/courses/{cohort.slug}/buy/",
        {"name": "张三", "email": "zhang@example.com", "phone": "13912345678", "consent": "on"},
    )


@pytest.fixture
def on_sale(db):
    return f.make_cohort(
        course=f.make_course(slug="py"),
        slug="py-5",
        sale_open=True,
        starts_on=timezone.localdate() + timedelta(days=10),
    )


def test_checkout_refuses_before_enrolment_opens(client, on_sale):
    on_sale.enrolment_opens_at = timezone.now() + timedelta(days=2)
    on_sale.save()
    page = client.get(f"/courses/{on_sale.slug}/buy/")
    assert page.status_code == 200 and "报名将于" in page.content.decode()
    response = checkout(client, on_sale)
    assert response.status_code == 403 and "报名将于" in response.content.decode()
    assert not Order.objects.exists()
    course_page = client.get("/courses/py/").content.decode()
    assert "报名将于" in course_page and "/courses/py-5/buy/" not in course_page


def test_checkout_refuses_after_enrolment_closes(client, on_sale):
    on_sale.enrolment_closes_at = timezone.now() - timedelta(minutes=1)
    on_sale.save()
    response = checkout(client, on_sale)
    assert response.status_code == 403 and "报名已截止" in response.content.decode()
    assert not Order.objects.exists()


def test_checkout_sells_inside_the_window(client, on_sale):
    on_sale.enrolment_opens_at = timezone.now() - timedelta(days=1)
    on_sale.enrolment_closes_at = timezone.now() + timedelta(days=1)
    on_sale.save()
    assert "/courses/py-5/buy/" in client.get("/courses/py/").content.decode()
    response = checkout(client, on_sale)
    assert response.status_code == 302
    assert Order.objects.filter(cohort=on_sale).count() == 1


# --- what is missing before the first lesson -----------------------------------------------


def test_a_new_cohort_page_lists_what_is_missing_with_links(founder_client, db):
    cohort = f.make_cohort(starts_on=timezone.localdate() + timedelta(days=10), enrollment_instructions="")
    page = founder_client.get(f"/console/cohorts/{cohort.pk}/").content.decode()
    assert "开课前还要准备" in page
    for text, link in [
        ("还没有排课", f"/console/cohorts/{cohort.pk}/lessons/new/"),
        ("还没有直播的上课链接", f"/console/cohorts/{cohort.pk}/edit/#id_meeting_url"),
        ("还没有作业", f"/console/cohorts/{cohort.pk}/assignments/new/"),
        ("还没有安排入学测评", f"/console/cohorts/{cohort.pk}/edit/#id_entry_assessment_at"),
        ("还没有写入学须知邮件", f"/console/cohorts/{cohort.pk}/edit/#id_enrollment_instructions"),
    ]:
        assert text in page, text
        assert f'href="{link}"' in page, link


def test_the_missing_list_names_an_assignment_without_standard_and_empties(founder_client, db):
    cohort = f.make_cohort(starts_on=timezone.localdate() + timedelta(days=10))
    lesson = f.make_lesson(cohort, starts_at=timezone.now() + timedelta(days=10))
    assignment = f.make_assignment(cohort, title="第 1 周作业", standard="")
    page = founder_client.get(f"/console/cohorts/{cohort.pk}/").content.decode()
    assert "“第 1 周作业”还没有作业标准" in page
    assert f'href="/console/cohorts/{cohort.pk}/assignments/{assignment.pk}/#id_standard"' in page
    assert "还没有排课" not in page

    assignment.standard = "能运行，有注释。"
    assignment.save()
    lesson.meeting_url = "https://meeting.tencent.com/dm/x"
    lesson.save()
    cohort.entry_assessment_at = timezone.now() + timedelta(days=9)
    cohort.enrollment_instructions = "欢迎"
    cohort.save()
    assert "开课前还要准备" not in founder_client.get(f"/console/cohorts/{cohort.pk}/").content.decode()


def test_an_online_entry_test_counts_as_the_entry_assessment_planned(founder_client, db):
    cohort = f.make_cohort(starts_on=timezone.localdate() + timedelta(days=10))
    assert "还没有安排入学测评" in founder_client.get(f"/console/cohorts/{cohort.pk}/").content.decode()
    f.make_quiz(cohort, kind="entry")
    assert "还没有安排入学测评" not in founder_client.get(f"/console/cohorts/{cohort.pk}/").content.decode()


def test_the_missing_list_is_gone_once_the_first_lesson_started(founder_client, cohort_a):
    f.make_lesson(cohort_a, starts_at=timezone.now() - timedelta(hours=1))
    assert "开课前还要准备" not in founder_client.get(f"/console/cohorts/{cohort_a.pk}/").content.decode()


def test_a_lesson_without_its_own_link_uses_the_cohorts_join_link(student_client, student, cohort_a):
    cohort_a.meeting_url = "https://meeting.tencent.com/dm/cohort"
    cohort_a.save()
    # In ten minutes: 进入课堂 is live (from 15 minutes before the start, #16).
    f.make_lesson(cohort_a, starts_at=timezone.now() + timedelta(minutes=10), meeting_url="")
    page = student_client.get(f"/learn/cohorts/{cohort_a.pk}/").content.decode()
    assert 'href="https://meeting.tencent.com/dm/cohort"' in page


def test_the_course_page_shows_the_authored_sales_texts(
    client, founder_client, db, django_assert_max_num_queries
):
    course = f.make_course(
        slug="ai", title="AI 编程实战营", audience="- 产品经理", outcomes="- 上线的应用",
        graduation_standard="交付一个能访问的应用", teacher_name="陈老师", teacher_bio="十年全栈。",
        refund_policy="开课 7 天内全额退款。",
    )  # fmt: skip
    CourseFAQ.objects.create(course=course, question="有回放吗？", answer="都有回放。")
    f.make_cohort(
        course=course, slug="ai-2", sale_open=True, starts_on=timezone.localdate() + timedelta(days=7)
    )
    with django_assert_max_num_queries(12):
        page = client.get("/courses/ai/").content.decode()
    for text in (
        "适合谁",
        "产品经理",
        "上线的应用",
        "毕业标准",
        "陈老师",
        "有回放吗？",
        "都有回放。",
        "开课 7 天内全额退款",
    ):
        assert text in page, text
    assert "草稿" not in page
    course.status = "draft"
    course.save()
    assert "草稿：只有工作人员能看到" in founder_client.get("/courses/ai/").content.decode()


def test_the_console_nav_leads_to_the_courses_and_marks_where_the_founder_is(founder_client, db):
    def active(path: str) -> list[str]:
        html = founder_client.get(path).content.decode()
        nav = html[html.index('<nav class="nav"') : html.index("</nav>")]
        return re.findall(r'<a href="([^"]+)" class="active">', nav)

    assert 'href="/console/courses/"' in founder_client.get("/console/").content.decode()
    assert active("/console/courses/") == ["/console/courses/"]
    assert active("/console/courses/new/") == ["/console/courses/"]
    assert active("/console/cohorts/") == ["/console/cohorts/"]
