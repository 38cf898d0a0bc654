"""The founder's leads console: who may see it, the list, one lead's page and its actions."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm.models import Consultation, Lead, LeadNote, TrackedLink
from tests import factories as f


@pytest.fixture
def lead(db):
    return f.make_lead(name="王小明", phone="+8613800138000", channel="zhihu", utm_campaign="spring")


def console_urls(lead, consultation) -> list[tuple[str, str]]:
    base = f"/console/leads/{lead.pk}"
    return [
        ("get", "/console/leads/"),
        ("get", "/console/leads/export.csv"),
        ("get", "/console/leads/links/"),
        ("get", "/console/leads/import/"),
        ("get", f"{base}/"),
        ("post", f"{base}/status/"),
        ("post", f"{base}/notes/"),
        ("post", f"{base}/consultations/"),
        ("post", f"{base}/consultations/{consultation.pk}/"),
    ]


def _snapshot(lead):
    lead.refresh_from_db()
    return (lead.status, lead.notes.count(), lead.consultations.count(), lead.lost_reason)


def test_students_outsiders_and_anonymous_visitors_cannot_reach_any_lead_page(
    client, student_client, other_client, outsider_client, lead
):
    consultation = f.make_consultation(lead)
    before = _snapshot(lead)
    data = {"status": "lost", "reason": "x", "body": "x", "kind": "call", "scheduled_at": "2026-01-01T10:00"}
    for method, url in console_urls(lead, consultation):
        for who in (student_client, other_client, outsider_client):
            response = getattr(who, method)(url, data) if method == "post" else who.get(url)
            assert response.status_code == 403, url
        response = getattr(client, method)(url, data) if method == "post" else client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url, url
    assert _snapshot(lead) == before
    assert b"13800138000" not in client.get("/console/leads/export.csv").content


def test_the_founder_reaches_every_lead_page(founder_client, lead):
    assert founder_client.get("/console/leads/").status_code == 200
    assert founder_client.get(f"/console/leads/{lead.pk}/").status_code == 200
    assert founder_client.get("/console/leads/links/").status_code == 200
    assert founder_client.get("/console/leads/import/").status_code == 200


def test_an_unknown_lead_is_404(founder_client, db):
    assert founder_client.get("/console/leads/999999/").status_code == 404
    assert founder_client.post("/console/leads/999999/notes/", {"body": "x"}).status_code == 404


def test_the_console_nav_and_home_link_to_the_leads(founder_client, lead):
    html = founder_client.get("/console/").content.decode()
    assert 'href="/console/leads/"' in html and "/console/leads/?status=new" in html


def test_the_list_shows_pipeline_counts_and_hides_spam(founder_client, lead):
    f.make_lead(name="已联系", status="contacted")
    f.make_lead(name="垃圾", is_spam=True)
    response = founder_client.get("/console/leads/")
    assert response.context["pipeline"] == {
        "new": 1, "contacted": 1, "consulting": 0, "won": 0, "lost": 0, "spam": 1,
    }  # fmt: skip
    names = [x.name for x in response.context["leads"]]
    assert set(names) == {"王小明", "已联系"}
    spam = founder_client.get("/console/leads/?spam=on")
    assert [x.name for x in spam.context["leads"]] == ["垃圾"]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("status=contacted", {"b"}),
        ("channel=ZHIHU", {"a"}),
        ("campaign=autumn", {"b"}),
        ("q=b%40example", {"b"}),
        ("q=138+0013", {"a"}),
        ("q=13800138000", {"a"}),
        ("q=wx_c", {"c"}),
        ("q=EXAMPLE.ORG", {"c"}),
        ("date_from=2026-03-01&date_to=2026-03-31", {"b"}),
        ("date_from=2026-04-01", {"a", "c"}),
        ("date_from=nonsense&status=bogus", {"a", "b", "c"}),
    ],
)
def test_the_list_filters_and_searches(founder_client, db, query, expected):
    now = timezone.now()
    f.make_lead(name="a", phone="+8613800138000", channel="zhihu", created_at=now)
    f.make_lead(
        name="b", email="b@example.com", status="contacted", utm_campaign="autumn",
        created_at=f.aware(2026, 3, 15, 10),
    )  # fmt: skip
    f.make_lead(name="c", email="c@example.org", wechat="wx_c", created_at=now)
    response = founder_client.get(f"/console/leads/?{query}")
    assert response.status_code == 200
    assert {x.name for x in response.context["leads"]} == expected


def test_the_list_runs_a_constant_number_of_queries(founder_client, db, django_assert_max_num_queries):
    founder_client.get("/console/leads/")  # warm the session
    with django_assert_max_num_queries(8):
        founder_client.get("/console/leads/")
    for i in range(60):
        lead = f.make_lead(channel=f"ch{i % 3}")
        f.make_consultation(lead)
    with django_assert_max_num_queries(8):
        response = founder_client.get("/console/leads/?channel=ch1")
    assert response.status_code == 200
    with django_assert_max_num_queries(8):
        response = founder_client.get("/console/leads/?page=2")
    assert len(response.context["leads"]) == 10


def test_the_lead_page_runs_a_constant_number_of_queries(founder_client, lead, django_assert_max_num_queries):
    founder_client.get(f"/console/leads/{lead.pk}/")
    with django_assert_max_num_queries(14):
        founder_client.get(f"/console/leads/{lead.pk}/")
    for _ in range(10):
        f.make_consultation(lead)
        f.make_order(f.make_cohort(), lead=lead)
        LeadNote.objects.create(lead=lead, body="记一笔")
    with django_assert_max_num_queries(14):
        response = founder_client.get(f"/console/leads/{lead.pk}/")
    assert len(response.context["timeline"]) == 31


def test_the_lead_page_shows_one_timeline_of_touches_notes_consultations_and_orders(
    founder_client, lead, founder, channels
):
    cohort = f.make_cohort()
    order = f.make_order(cohort, lead=lead)
    f.make_consultation(lead, kind="trial", status="held")
    founder_client.post(f"/console/leads/{lead.pk}/notes/", {"body": "下周再联系"})
    html = founder_client.get(f"/console/leads/{lead.pk}/").content.decode()
    assert "知乎" in html and "spring" in html
    assert "下周再联系" in html and order.number in html and "体验课" in html


def test_the_founder_changes_the_status(founder_client, lead):
    response = founder_client.post(f"/console/leads/{lead.pk}/status/", {"status": "contacted"})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.status == "contacted"
    assert lead.notes.get().kind == LeadNote.Kind.STATUS


def test_marking_lost_needs_a_reason(founder_client, lead):
    response = founder_client.post(f"/console/leads/{lead.pk}/status/", {"status": "lost"}, follow=True)
    assert "请说明流失原因" in response.content.decode()
    lead.refresh_from_db()
    assert lead.status == "new"
    founder_client.post(f"/console/leads/{lead.pk}/status/", {"status": "lost", "reason": "预算不够"})
    lead.refresh_from_db()
    assert (lead.status, lead.lost_reason) == ("lost", "预算不够")


def test_a_bogus_status_is_refused_and_changes_nothing(founder_client, lead):
    founder_client.post(f"/console/leads/{lead.pk}/status/", {"status": "vip"})
    lead.refresh_from_db()
    assert lead.status == "new"


def test_an_empty_note_is_refused(founder_client, lead):
    founder_client.post(f"/console/leads/{lead.pk}/notes/", {"body": ""})
    assert not lead.notes.exists()


def test_scheduling_a_consultation_moves_the_lead_to_consulting(founder_client, lead):
    response = founder_client.post(
        f"/console/leads/{lead.pk}/consultations/",
        {"kind": "trial", "scheduled_at": "2026-12-01T19:30", "notes": "周二晚上"},
    )
    assert response.status_code == 302
    consultation = lead.consultations.get()
    assert (consultation.kind, consultation.status) == ("trial", "scheduled")
    assert timezone.localtime(consultation.scheduled_at).strftime("%Y-%m-%d %H:%M") == "2026-12-01 19:30"
    lead.refresh_from_db()
    assert lead.status == "consulting"


def test_a_consultation_without_a_time_is_refused(founder_client, lead):
    founder_client.post(f"/console/leads/{lead.pk}/consultations/", {"kind": "call", "scheduled_at": "soon"})
    assert not lead.consultations.exists()


@pytest.mark.parametrize("status", ["held", "no_show", "cancelled"])
def test_the_founder_records_how_a_consultation_went(founder_client, lead, status):
    consultation = f.make_consultation(lead, scheduled_at=timezone.now() - timedelta(hours=1))
    founder_client.post(
        f"/console/leads/{lead.pk}/consultations/{consultation.pk}/", {"status": status, "notes": "聊得不错"}
    )
    consultation.refresh_from_db()
    assert consultation.status == status
    assert (consultation.held_at is not None) == (status == "held")
    assert "聊得不错" in consultation.notes


def test_a_consultation_of_another_lead_is_404_and_unchanged(founder_client, lead):
    other = f.make_lead()
    consultation = f.make_consultation(other)
    response = founder_client.post(
        f"/console/leads/{lead.pk}/consultations/{consultation.pk}/", {"status": "held"}
    )
    assert response.status_code == 404
    consultation.refresh_from_db()
    assert consultation.status == Consultation.Status.SCHEDULED


def test_the_link_builder_makes_a_tagged_link_that_attributes_a_signup(
    founder_client, client, signup_ready, settings, channels
):
    settings.SITE_URL = "https://school.example.com"
    f.make_cohort(course=f.make_course(slug="py"), slug="py-5", sale_open=True)
    response = founder_client.post(
        "/console/leads/links/",
        {"page": "/courses/py/", "channel": "xiaohongshu", "campaign": "spring", "content": "post 7"},
    )
    assert response.status_code == 302
    link = founder_client.get(response["Location"]).context["link"].url
    assert link.startswith("https://school.example.com/courses/py/?ch=xiaohongshu")
    assert "utm_content=post+7" in link
    client.get(link.removeprefix(settings.SITE_URL))
    client.post("/courses/py/", {"name": "赵六", "email": "z6@example.com", "consent": "on"})
    lead = Lead.objects.get()
    assert (lead.channel, lead.utm_campaign, lead.utm_content) == ("xiaohongshu", "spring", "post 7")


def test_the_link_builder_refuses_a_page_it_does_not_offer(founder_client, channels):
    response = founder_client.post(
        "/console/leads/links/", {"page": "https://evil.example/", "channel": "bilibili"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["page"]
    assert not TrackedLink.objects.exists()


def test_the_list_counts_touches_for_its_page_only_and_reads_channels_without_every_lead(founder_client, db):
    """bench/ (issue 20): with 68,000 leads the list took 430 ms, grouping every lead's touches
    before cutting the page and listing the channels with DISTINCT over every lead's
    (channel, created_at, id). Now the page's touches are counted per shown row and the
    channels read as DISTINCT channel alone."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from crm.services import lead_capture

    for i in range(12):
        f.make_lead(name=f"学员{i}", email=f"s{i}@example.org", channel=f"ch{i % 3}")
    for _ in range(2):
        lead_capture(name="学员11", email="s11@example.org")  # signed up three times in all
    with CaptureQueriesContext(connection) as queries:
        response = founder_client.get("/console/leads/")
    assert response.status_code == 200
    assert "×3" in response.content.decode()
    counts = {lead.name: lead.touch_count for lead in response.context["leads"]}
    assert counts["学员11"] == 3 and counts["学员10"] == 1
    lead_queries = [q["sql"] for q in queries.captured_queries if 'FROM "crm_lead"' in q["sql"]]
    assert not any('JOIN "crm_leadtouch"' in sql for sql in lead_queries), lead_queries
    distinct = [sql for sql in lead_queries if "DISTINCT" in sql]
    assert distinct and all('"created_at"' not in sql for sql in distinct), distinct
