"""Calendar feeds (.ics): a student's private feed, revocable; one lesson's file; a cohort's feed
for the founder. Every feed is read back with icalendar, as a calendar app reads it."""

from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.conf import settings
from django.utils import timezone

from cohorts.models import Cohort, Student
from tests import factories as f

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOST = urlsplit(settings.SITE_URL).hostname


def _parse(response) -> icalendar.Calendar:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content)


def _events(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    events = {str(event["UID"]): event for event in calendar.events}
    assert len(events) == len(calendar.events)  # no UID twice
    return events


@pytest.fixture
def schedule(cohort_a, cohort_b):
    """Cohort A: a lesson with its own link, one on the cohort's link, an assignment; cohort B:
    a lesson of its own (the other student's)."""
    Cohort.objects.filter(pk=cohort_a.pk).update(meeting_url="https://meeting.tencent.com/dm/cohort-a")
    own = f.make_lesson(
        cohort_a, title="第 1 课：环境搭建", starts_at=datetime(2026, 12, 8, 20, 0, tzinfo=SHANGHAI),
        duration_minutes=90, meeting_url="https://meeting.tencent.com/dm/lesson-1",
    )  # fmt: skip
    shared = f.make_lesson(
        cohort_a,
        title="答疑",
        starts_at=datetime(2026, 12, 10, 12, 0, tzinfo=ZoneInfo("UTC")),
        duration_minutes=60,
    )
    homework = f.make_assignment(
        cohort_a, title="作业一：爬虫", due_at=datetime(2026, 12, 13, 23, 59, tzinfo=SHANGHAI)
    )
    other = f.make_lesson(cohort_b, title="B 期第 1 课")
    return {"own": own, "shared": shared, "homework": homework, "other": other}


def test_the_students_feed_has_every_lesson_and_due_time_in_the_site_zone(client, student, schedule):
    calendar = _parse(client.get(f"/calendar/s/{student.calendar_token}.ics"))
    events = _events(calendar)
    own, shared, homework = schedule["own"], schedule["shared"], schedule["homework"]
    assert set(events) == {
        f"lesson-{own.pk}@{HOST}",
        f"lesson-{shared.pk}@{HOST}",
        f"assignment-{homework.pk}@{HOST}",
    }
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Shanghai"]

    first = events[f"lesson-{own.pk}@{HOST}"]
    assert first.start == own.starts_at
    assert first.start.tzinfo == SHANGHAI and (first.start.hour, first.start.minute) == (20, 0)
    assert first.end - first.start == timedelta(minutes=90)
    assert "第 1 课：环境搭建" in first["SUMMARY"]
    assert "https://meeting.tencent.com/dm/lesson-1" in first["DESCRIPTION"]
    assert str(first["URL"]) == str(first["LOCATION"]) == "https://meeting.tencent.com/dm/lesson-1"
    assert first.walk("VALARM")  # a reminder before it starts

    # Stored in UTC noon, shown in the site zone: 20:00 in Shanghai.
    second = events[f"lesson-{shared.pk}@{HOST}"]
    assert second.start.tzinfo == SHANGHAI and second.start.hour == 20
    assert "https://meeting.tencent.com/dm/cohort-a" in second["DESCRIPTION"]  # the cohort's link

    due = events[f"assignment-{homework.pk}@{HOST}"]
    assert due.start == due.end == homework.due_at and due.start.tzinfo == SHANGHAI
    assert "作业一：爬虫" in due["SUMMARY"]
    assert f"/learn/assignments/{homework.pk}/" in due["DESCRIPTION"]


def test_a_changed_lesson_keeps_its_uid_so_calendars_update_it(client, student, schedule):
    url = f"/calendar/s/{student.calendar_token}.ics"
    before = _events(_parse(client.get(url)))
    own = schedule["own"]
    own.starts_at += timedelta(days=1, hours=1)
    own.save()
    after = _events(_parse(client.get(url)))
    assert set(after) == set(before)
    uid = f"lesson-{own.pk}@{HOST}"
    assert after[uid].start == own.starts_at != before[uid].start


def test_the_feed_leaves_out_cohorts_the_student_left(client, refunded_student, dropped_student, schedule):
    for learner in (refunded_student, dropped_student):
        assert _parse(client.get(f"/calendar/s/{learner.calendar_token}.ics")).events == []


def test_a_new_link_makes_the_old_one_404(client, student_client, student, other_student, schedule):
    old = student.calendar_token
    other_token = other_student.calendar_token
    assert student_client.get("/learn/calendar/reset/").status_code == 405
    response = student_client.post("/learn/calendar/reset/")
    assert response.status_code == 302 and response["Location"] == "/learn/calendar/"
    student.refresh_from_db()
    assert student.calendar_token != old
    assert client.get(f"/calendar/s/{old}.ics").status_code == 404
    assert _events(_parse(client.get(f"/calendar/s/{student.calendar_token}.ics")))
    assert Student.objects.get(pk=other_student.pk).calendar_token == other_token  # only mine


def test_an_unknown_token_is_404(client, db):
    assert client.get("/calendar/s/nope.ics").status_code == 404
    assert client.get("/calendar/c/nope.ics").status_code == 404


def test_a_lesson_file_is_for_students_of_its_cohort_only(
    client, student_client, other_client, outsider_client, founder_client, refunded_client, schedule
):
    own = schedule["own"]
    url = f"/learn/lessons/{own.pk}/calendar.ics"
    response = student_client.get(url)
    assert response["Content-Disposition"].startswith("attachment")
    (event,) = _parse(response).events
    assert str(event["UID"]) == f"lesson-{own.pk}@{HOST}"  # the feed's UID: importing twice updates
    assert event.start == own.starts_at and "https://meeting.tencent.com/dm/lesson-1" in event["DESCRIPTION"]
    assert other_client.get(url).status_code == 404
    assert outsider_client.get(url).status_code == 404
    assert refunded_client.get(url).status_code == 404
    assert founder_client.get(url).status_code == 403  # staff without a learner profile
    assert client.get(url).status_code == 302
    assert student_client.get(f"/learn/lessons/{schedule['other'].pk}/calendar.ics").status_code == 404


def test_the_subscribe_page_shows_my_link_and_how_to_subscribe(
    student_client, student, schedule, django_assert_max_num_queries
):
    past = f.make_lesson(
        schedule["own"].cohort, title="上周的课", starts_at=timezone.now() - timedelta(days=6)
    )
    with django_assert_max_num_queries(8):
        response = student_client.get("/learn/calendar/")
    html = response.content.decode()
    assert response.status_code == 200
    feed = f"{settings.SITE_URL}/calendar/s/{student.calendar_token}.ics"
    assert f'value="{feed}"' in html
    assert f'href="webcal://{feed.split("://", 1)[1]}"' in html
    assert "微信" in html and "iPhone" in html and "Google" in html
    assert f"/learn/lessons/{schedule['own'].pk}/calendar.ics" in html  # one by one too
    assert f"/learn/lessons/{past.pk}/calendar.ics" not in html  # but not what is over


def test_the_subscribe_page_needs_a_learner(client, founder_client, outsider_client):
    assert client.get("/learn/calendar/").status_code == 302
    assert founder_client.get("/learn/calendar/").status_code == 403
    assert outsider_client.get("/learn/calendar/").status_code == 200  # no cohort yet: an empty feed


def test_the_founder_has_a_cohort_feed_by_token_or_session(
    client, founder_client, student_client, cohort_a, schedule
):
    events = _events(_parse(client.get(f"/calendar/c/{cohort_a.calendar_token}.ics")))
    assert f"lesson-{schedule['own'].pk}@{HOST}" in events
    assert f"assignment-{schedule['homework'].pk}@{HOST}" in events
    assert f"lesson-{schedule['other'].pk}@{HOST}" not in events
    console = f"/console/cohorts/{cohort_a.pk}/calendar.ics"
    assert set(_events(_parse(founder_client.get(console)))) == set(events)
    assert student_client.get(console).status_code == 403
    assert client.get(console).status_code == 302
    page = founder_client.get(f"/console/cohorts/{cohort_a.pk}/").content.decode()
    assert f"{settings.SITE_URL}/calendar/c/{cohort_a.calendar_token}.ics" in page


def test_only_staff_give_a_cohort_feed_a_new_link(client, founder_client, student_client, cohort_a):
    old = cohort_a.calendar_token
    reset = f"/console/cohorts/{cohort_a.pk}/calendar/reset/"
    assert student_client.post(reset).status_code == 403
    assert Cohort.objects.get(pk=cohort_a.pk).calendar_token == old
    assert founder_client.post(reset).status_code == 302
    assert client.get(f"/calendar/c/{old}.ics").status_code == 404
    new = Cohort.objects.get(pk=cohort_a.pk).calendar_token
    assert new != old and client.get(f"/calendar/c/{new}.ics").status_code == 200
