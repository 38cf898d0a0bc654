"""The course page sells (#15): syllabus from the next cohort on sale, showcased work of
consenting graduates only, share tags with absolute addresses, a bounded number of queries."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Enrollment, GraduationReport
from tests import factories as f

pytestmark = pytest.mark.django_db


def _course_on_sale(lessons: int = 3, assignments: int = 2, faqs: int = 2):
    course = f.make_course(slug="sql-camp", title="SQL 训练营", tagline="8 周学会取数", status="draft")
    start = timezone.localdate() + timedelta(days=10)
    cohort = f.make_cohort(course, slug="sql-camp-3", name="第 3 期", starts_on=start, sale_open=True)
    base = timezone.now() + timedelta(days=10)
    for i in range(lessons):
        f.make_lesson(
            cohort, title=f"直播 第{i + 1}讲 · 主题{i + 1}", starts_at=base + timedelta(days=7 * i, hours=2)
        )
    for i in range(assignments):
        f.make_assignment(cohort, title=f"作业{i + 1}：练习", due_at=base + timedelta(days=7 * i + 5),
                          is_graduation_project=i == assignments - 1)  # fmt: skip
    for i in range(faqs):
        course.faqs.create(question=f"问题{i}？", answer=f"回答{i}。", position=i)
    return course, cohort


def _graduate_with_showcase(course, *, name: str, shares: bool, title: str):
    past = f.make_cohort(course, name="第 1 期", starts_on=timezone.localdate() - timedelta(weeks=12))
    learner = f.make_student(f.make_user(name=name))
    enrollment = f.make_enrollment(
        learner, past, status=Enrollment.Status.GRADUATED, graduated_at=timezone.now()
    )
    assignment = f.make_assignment(past, title=title, is_graduation_project=True)
    f.make_submission(assignment, learner, text="一份电商复购分析", link="https://example.com/work",
                      is_showcase=True, score=96, passed=True, graded_at=timezone.now())  # fmt: skip
    return GraduationReport.objects.create(enrollment=enrollment, shares_work=shares)


def test_draft_hidden_from_visitors_then_published_with_its_syllabus(client, founder_client, signup_ready):
    course, _cohort = _course_on_sale()
    url = reverse("billing:course_detail", args=[course.slug])
    assert client.get(url).status_code == 404
    preview = founder_client.get(url)
    assert preview.status_code == 200 and "直播 第1讲 · 主题1" in preview.text
    course.status = "published"
    course.save()
    page = client.get(url)
    assert page.status_code == 200
    text = page.text
    assert 'id="syllabus"' in text
    for title in ("直播 第1讲 · 主题1", "直播 第3讲 · 主题3", "作业1：练习", "作业2：练习"):
        assert title in text
    assert "第 1 周" in text and "结业项目" in text
    assert text.index("直播 第1讲") < text.index("直播 第2讲") < text.index("直播 第3讲")
    # the phone bar buys the next cohort on sale
    assert reverse("billing:checkout", args=["sql-camp-3"]) in text.split('class="buy-bar"')[1]


def test_syllabus_falls_back_to_the_last_cohort_without_dates(client, signup_ready):
    course = f.make_course(slug="py", title="Python")
    past = f.make_cohort(course, starts_on=timezone.localdate() - timedelta(weeks=20))
    f.make_lesson(past, title="上期的第一讲", starts_at=timezone.now() - timedelta(weeks=20))
    text = client.get(reverse("billing:course_detail", args=["py"])).text
    assert "上期的第一讲" in text and "下一期的日期" in text
    bar = text.split('class="buy-bar"')[1]
    assert "当前没有在售的班级" in bar and "/checkout" not in bar


def test_showcase_only_of_consenting_graduates_and_consent_withdrawn_hides_it(client, signup_ready):
    course, _ = _course_on_sale()
    course.status = "published"
    course.save()
    shown = _graduate_with_showcase(course, name="林同学", shares=True, title="复购分析")
    _graduate_with_showcase(course, name="赵同学", shares=False, title="不愿公开的作品")
    url = reverse("billing:course_detail", args=[course.slug])
    text = client.get(url).text
    assert "复购分析" in text and "林同学" in text
    assert "不愿公开的作品" not in text and "赵同学" not in text
    # the graduate withdraws on their progress page
    from django.test import Client

    me = Client()
    me.force_login(shown.enrollment.student.user)
    response = me.post(reverse("cohorts:report_share_work", args=[shown.pk]), {"share": "0"})
    assert response.status_code == 302
    shown.refresh_from_db()
    assert shown.shares_work is False and shown.shares_work_at is None
    assert "复购分析" not in client.get(url).text
    assert "展示我的作品" in me.get(reverse("cohorts:learn_progress")).text


def test_someone_else_cannot_change_a_graduates_consent(student_client, client, signup_ready):
    course, _ = _course_on_sale()
    report = _graduate_with_showcase(course, name="林同学", shares=True, title="复购分析")
    url = reverse("cohorts:report_share_work", args=[report.pk])
    assert student_client.post(url, {"share": "0"}).status_code == 404
    assert client.post(url, {"share": "0"}).status_code in (302, 403)
    report.refresh_from_db()
    assert report.shares_work is True


def test_share_tags_are_absolute(client, settings, signup_ready):
    settings.SITE_URL = "https://school.example.com"
    course, _ = _course_on_sale()
    course.status = "published"
    course.cover_image = "courses/cover.png"
    course.save()
    text = client.get(reverse("billing:course_detail", args=[course.slug])).text
    assert '<meta property="og:title" content="SQL 训练营">' in text
    assert '<meta property="og:description" content="8 周学会取数">' in text
    assert '<meta name="description" content="8 周学会取数">' in text
    assert '<meta property="og:url" content="https://school.example.com/courses/sql-camp/">' in text
    assert (
        '<meta property="og:image" content="https://school.example.com/courses/sql-camp/cover.image">' in text
    )
    index = client.get(reverse("billing:course_index")).text
    assert '<meta property="og:url" content="https://school.example.com/courses/">' in index
    assert "SQL 训练营" in index.split('name="description"')[1].split(">")[0]
    assert 'og:image" content="https://school.example.com/courses/sql-camp/cover.image"' in index


def test_query_count_does_not_grow_with_content(client, signup_ready, django_assert_max_num_queries):
    course, _ = _course_on_sale(lessons=2, assignments=1, faqs=1)
    course.status = "published"
    course.save()
    _graduate_with_showcase(course, name="甲", shares=True, title="作品甲")
    url = reverse("billing:course_detail", args=[course.slug])
    client.get(url)  # warm caches (site settings)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for i in range(30):
        course.faqs.create(question=f"更多问题{i}？", answer="是。", position=100 + i)
    cohort = course.cohorts.get(slug="sql-camp-3")
    for i in range(40):
        f.make_lesson(cohort, title=f"加课{i}", starts_at=timezone.now() + timedelta(days=11, hours=i))
    for i in range(5):
        f.make_cohort(course, sale_open=True, starts_on=timezone.localdate() + timedelta(days=30 + i))
        _graduate_with_showcase(course, name=f"乙{i}", shares=True, title=f"作品{i}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert "加课39" in response.text and "更多问题29" in response.text
