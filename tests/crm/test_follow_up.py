"""The next follow-up date of a lead: set from the lead's page with a quick pick or a date,
cleared, refused beside its field when the date is bad, and the lead list of those due."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm.personal import lead_anonymise
from tests import factories as f


def today():
    return timezone.localdate()


@pytest.fixture
def lead(db):
    return f.make_lead(name="王小明", phone="13800138000", wechat="xm_wang")


def follow_up(client, lead, **data):
    return client.post(f"/console/leads/{lead.pk}/follow-up/", data)


@pytest.mark.parametrize(("pick", "days"), [("tomorrow", 1), ("in_3_days", 3), ("next_week", 7)])
def test_a_quick_pick_sets_the_day(founder_client, lead, pick, days):
    response = follow_up(founder_client, lead, pick=pick)
    assert response.status_code == 302 and response["Location"] == f"/console/leads/{lead.pk}/"
    lead.refresh_from_db()
    assert lead.next_follow_up_on == today() + timedelta(days=days)


def test_the_lead_page_offers_the_quick_picks_with_their_dates(founder_client, lead):
    html = founder_client.get(f"/console/leads/{lead.pk}/").content.decode()
    for pick, label, days in (("tomorrow", "明天", 1), ("in_3_days", "3 天后", 3), ("next_week", "下周", 7)):
        assert f'name="pick" value="{pick}"' in html
        assert label in html and (today() + timedelta(days=days)).strftime("%m-%d") in html
    assert 'type="date" name="follow_up_on"' in html
    assert "暂无计划" in html


def test_a_chosen_date_is_set_and_shown(founder_client, lead):
    day = today() + timedelta(days=10)
    follow_up(founder_client, lead, pick="date", follow_up_on=day.isoformat())
    lead.refresh_from_db()
    assert lead.next_follow_up_on == day
    html = founder_client.get(f"/console/leads/{lead.pk}/").content.decode()
    assert day.isoformat() in html and 'value="clear"' in html


def test_a_date_without_a_pick_is_a_chosen_date(founder_client, lead):
    follow_up(founder_client, lead, follow_up_on=today().isoformat())
    lead.refresh_from_db()
    assert lead.next_follow_up_on == today()


def test_clearing_removes_the_follow_up(founder_client, lead):
    lead.next_follow_up_on = today()
    lead.save()
    follow_up(founder_client, lead, pick="clear", follow_up_on=today().isoformat())
    lead.refresh_from_db()
    assert lead.next_follow_up_on is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-13-45", "输入一个有效的日期。"),
        ("", "选择要跟进的日期。"),
        ("2020-01-01", "选择今天或以后的日期。"),
    ],
)
def test_a_bad_date_is_refused_beside_the_field_and_changes_nothing(founder_client, lead, value, message):
    planned = today() + timedelta(days=2)
    lead.next_follow_up_on = planned
    lead.save()
    response = follow_up(founder_client, lead, pick="date", follow_up_on=value)
    assert response.status_code == 400
    form = response.context["follow_up_form"]
    assert form.errors["follow_up_on"] == [message]
    html = response.content.decode()
    field = html[html.index('id="follow-up"') :]
    assert message in field[: field.index("</section>")]  # in the follow-up card, next to the date
    lead.refresh_from_db()
    assert lead.next_follow_up_on == planned


def test_an_unknown_pick_is_refused(founder_client, lead):
    assert follow_up(founder_client, lead, pick="yesterday").status_code == 400
    lead.refresh_from_db()
    assert lead.next_follow_up_on is None


def test_a_stranger_cannot_set_a_follow_up(client, outsider_client, student_client, lead):
    assert follow_up(client, lead, pick="tomorrow").status_code == 302  # to the sign-in page
    assert follow_up(outsider_client, lead, pick="tomorrow").status_code == 403
    assert follow_up(student_client, lead, pick="tomorrow").status_code == 403
    lead.refresh_from_db()
    assert lead.next_follow_up_on is None


def test_the_follow_up_form_accepts_only_post(founder_client, lead):
    assert founder_client.get(f"/console/leads/{lead.pk}/follow-up/").status_code == 405


def test_the_lead_list_of_follow_ups_due_puts_the_most_overdue_first(
    founder_client, lead, django_assert_max_num_queries
):
    f.make_lead(name="今天", next_follow_up_on=today())
    f.make_lead(name="逾期", next_follow_up_on=today() - timedelta(days=4))
    f.make_lead(name="以后", next_follow_up_on=today() + timedelta(days=1))
    f.make_lead(name="垃圾", is_spam=True, next_follow_up_on=today())
    with django_assert_max_num_queries(9):  # 8, and the site settings row (cached after)
        response = founder_client.get("/console/leads/?todo=follow_up")
    assert [x.name for x in response.context["leads"]] == ["逾期", "今天"]
    assert "跟进 " in response.content.decode()


def test_the_lead_list_of_consultations_today_or_tomorrow(founder_client, lead):
    soon = f.make_lead(name="明天咨询")
    f.make_consultation(soon, scheduled_at=timezone.now() + timedelta(hours=1))
    f.make_consultation(soon, scheduled_at=timezone.now() + timedelta(hours=2))
    f.make_consultation(f.make_lead(name="下周咨询"), scheduled_at=timezone.now() + timedelta(days=7))
    response = founder_client.get("/console/leads/?todo=consultation")
    names = [x.name for x in response.context["leads"]]
    assert "明天咨询" in names and "下周咨询" not in names and len(names) == 1


def test_a_consultation_scheduled_with_a_meeting_link_offers_to_join(founder_client, lead):
    when = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    founder_client.post(
        f"/console/leads/{lead.pk}/consultations/",
        {"kind": "trial", "scheduled_at": when, "meeting_url": "https://meeting.tencent.com/dm/abc"},
    )
    consultation = lead.consultations.get()
    assert consultation.meeting_url == "https://meeting.tencent.com/dm/abc"
    html = founder_client.get(f"/console/leads/{lead.pk}/").content.decode()
    assert 'href="https://meeting.tencent.com/dm/abc"' in html


def test_an_erased_lead_has_no_follow_up_left(lead):
    lead.next_follow_up_on = today()
    lead.save()
    lead_anonymise(lead=lead)
    lead.refresh_from_db()
    assert lead.next_follow_up_on is None
