"""What every page carries: a favicon (no 404 on every page view), a language switch that
takes one tap, and labels punctuated as each language writes them (及格线：60, Pass mark: 60)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests import factories as f


def test_the_favicon_is_served_where_browsers_ask_for_it_and_every_page_links_it(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert b"".join(response.streaming_content).startswith(b"\x00\x00\x01\x00")  # an ICO file
    html = client.get("/accounts/login/").content.decode()
    assert '<link rel="icon" href="/favicon.ico"' in html and "favicon.svg" in html


def test_the_language_switch_is_one_tap_per_language(client, db):
    html = client.get("/accounts/login/").content.decode()
    footer = html.split('<footer class="footer">', 1)[1]
    assert '<select name="language"' not in footer
    assert (
        '<button type="submit" name="language" value="en" lang="en" class="btn-ghost btn-sm">English</button>'
        in footer
    )
    assert (
        'value="zh-hans" lang="zh-hans" class="btn-ghost btn-sm" aria-pressed="true" disabled>简体中文</button>'
        in footer
    )
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert (response.status_code, response.url) == (302, "/accounts/login/")
    english = client.get("/accounts/login/").content.decode().split('<footer class="footer">', 1)[1]
    # Each language keeps its own name, whatever the page's language.
    assert ">简体中文</button>" in english and 'aria-pressed="true" disabled>English</button>' in english


@pytest.fixture
def homework(student, cohort_a):
    f.make_lesson(cohort_a, title="第一课", starts_at=timezone.now() + timedelta(days=1))
    return f.make_assignment(cohort_a, pass_mark=60)


def _english(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def test_chinese_labels_take_a_full_width_colon_and_english_ones_a_plain_one(
    student_client, founder_client, student, founder, homework
):
    submission = f.make_submission(homework, student)
    assert "及格线：60" in student_client.get(f"/learn/assignments/{homework.pk}/").content.decode()
    assert "及格线：60" in founder_client.get(f"/console/submissions/{submission.pk}/").content.decode()
    english = _english(student.user)
    assert "Pass mark: 60" in english.get(f"/learn/assignments/{homework.pk}/").content.decode()
    assert "Pass mark: 60" in _english(founder).get(f"/console/submissions/{submission.pk}/").content.decode()


def test_the_course_page_punctuates_its_next_cohort_in_each_language(client, db):
    course = f.make_course(slug="ai", title="AI 编程实战营")
    f.make_cohort(course=course, sale_open=True, starts_on=timezone.localdate() + timedelta(days=7))
    assert "最近一期：" in client.get("/courses/ai/").content.decode()
    client.cookies["django_language"] = "en"
    html = client.get("/courses/ai/").content.decode()
    assert "Next cohort: " in html and "：" not in html.split("Next cohort", 1)[1][:3]
