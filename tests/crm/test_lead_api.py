"""POST /api/leads, held to the contract in docs/api.md: 201 / 400 / 413 / 429, dedupe, spam."""

import json

import pytest
from django.db import transaction

from crm.models import Lead, LeadTouch
from onepco import outbox
from onepco.models import OutboxMessage

URL = "/api/leads"
GOOD = {"name": "张三", "email": "zhang@example.com", "consent": True}


def post_json(client, body, **extra):
    return client.post(URL, data=json.dumps(body), content_type="application/json", **extra)


def test_it_captures_a_json_signup_with_its_attribution(client, db):
    body = {
        **GOOD, "phone": "138 0013 8000", "wechat": "zhang_san", "message": "想了解课程",
        "channel": "xiaohongshu", "utm_source": "xhs", "utm_medium": "social", "utm_campaign": "spring",
        "utm_content": "post-12", "landing_page": "/courses/a/", "referrer": "https://xhs.example/",
    }  # fmt: skip
    response = post_json(client, body)
    assert response.status_code == 201
    assert response.json() == {"id": response.json()["id"], "status": "received"}
    lead = Lead.objects.get()
    assert (lead.email, lead.phone, lead.wechat) == ("zhang@example.com", "+8613800138000", "zhang_san")
    assert (lead.channel, lead.utm_campaign, lead.utm_content) == ("xiaohongshu", "spring", "post-12")
    assert (lead.landing_page, lead.referrer) == ("/courses/a/", "https://xhs.example/")
    assert lead.consent_at is not None and lead.source == Lead.Source.API
    touch = LeadTouch.objects.get()
    assert str(touch.public_id) == response.json()["id"]
    assert touch.utm_source == "xhs"


def test_it_takes_form_encoded_bodies(client, db):
    response = client.post(URL, {"name": "李四", "phone": "13900139000", "consent": "on"})
    assert response.status_code == 201
    assert Lead.objects.get().phone == "+8613900139000"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"email": "a@example.com", "consent": True}, "name"),
        ({"name": "   ", "email": "a@example.com", "consent": True}, "name"),
        ({"name": "<script>", "email": "a@example.com", "consent": True}, "name"),
        ({"name": "王五", "consent": True}, "phone"),
        ({"name": "王五", "email": "not-an-email", "consent": True}, "email"),
        ({"name": "王五", "phone": "12345", "consent": True}, "phone"),
        ({"name": "王五", "email": "a@example.com"}, "consent"),
        ({"name": "王五", "email": "a@example.com", "consent": False}, "consent"),
        ({"name": "王五", "email": "a@example.com", "consent": True, "wechat": "有 空格"}, "wechat"),
        ({"name": "x" * 101, "email": "a@example.com", "consent": True}, "name"),
        ({**GOOD, "colour": "blue"}, "colour"),
        ({**GOOD, "name": ["a", "b"]}, "name"),
    ],
)
def test_invalid_input_gets_400_with_field_errors_and_stores_nothing(client, db, body, field):
    response = post_json(client, body)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert all(isinstance(m, str) for m in response.json()["errors"][field])
    assert not Lead.objects.exists()


def test_unknown_fields_and_bad_values_are_reported_together(client, db):
    response = post_json(client, {"name": "王五", "phone": "12345", "consent": True, "colour": "blue"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"phone", "colour"}
    assert not Lead.objects.exists()


def test_an_unknown_field_beside_valid_values_still_stores_nothing(client, db):
    response = post_json(client, {**GOOD, "colour": "blue"})
    assert response.status_code == 400 and set(response.json()["errors"]) == {"colour"}
    assert not Lead.objects.exists()


def test_errors_come_in_the_requested_language(client, db):
    chinese = post_json(client, {"email": "a@example.com", "consent": True})
    english = post_json(client, {"email": "a@example.com", "consent": True}, HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["errors"]["name"] == ["Enter your name."]
    assert chinese.json()["errors"]["name"] == ["请填写姓名。"]


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"{not json", "application/json"),
        (b"[1, 2]", "application/json"),
        (b"\xff\xfe", "application/json"),
        (b"name=a", "text/plain"),
        (b"<lead/>", "application/xml"),
    ],
)
def test_malformed_bodies_get_400_with_a_message_never_500(client, db, body, content_type):
    response = client.post(URL, data=body, content_type=content_type)
    assert response.status_code == 400
    assert response.json()["detail"]


def test_a_ten_megabyte_body_gets_413(client, db):
    body = json.dumps({**GOOD, "message": "x" * (10 * 1024 * 1024)})
    response = client.post(URL, data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["detail"]
    assert not Lead.objects.exists()


def test_only_post_is_allowed(client, db):
    assert client.get(URL).status_code == 405


def test_a_repeat_signup_updates_the_lead_and_answers_like_a_new_one(client, db):
    first = post_json(
        client, {**GOOD, "email": "Zhang@Example.COM", "utm_campaign": "spring", "channel": "zhihu"}
    )
    second = post_json(
        client, {**GOOD, "phone": "+86 138-0013-8000", "utm_campaign": "summer", "channel": "bilibili"}
    )
    third = post_json(
        client, {"name": "张三", "phone": "13800138000", "consent": True, "utm_campaign": "autumn"}
    )
    assert first.status_code == second.status_code == third.status_code == 201
    assert first.json().keys() == second.json().keys()
    assert len({first.json()["id"], second.json()["id"], third.json()["id"]}) == 3
    lead = Lead.objects.get()
    assert (lead.channel, lead.utm_campaign) == ("zhihu", "spring")  # first touch kept
    assert lead.phone == "+8613800138000"
    campaigns = sorted(LeadTouch.objects.filter(lead=lead).values_list("utm_campaign", flat=True))
    assert campaigns == ["autumn", "spring", "summer"]


def test_a_honeypot_hit_is_answered_201_and_stored_as_spam(client, db):
    response = post_json(client, {**GOOD, "website": "http://spam.example"})
    assert response.status_code == 201
    assert response.json()["status"] == "received"
    lead = Lead.objects.get()
    assert lead.is_spam
    # A spam row never absorbs a real signup with the same address.
    post_json(client, GOOD)
    assert Lead.objects.filter(is_spam=False).count() == 1


def test_a_honeypot_hit_with_garbage_is_still_stored_not_dropped(client, db):
    response = post_json(client, {"name": "", "phone": "call me", "website": "x"})
    assert response.status_code == 201
    assert Lead.objects.get().is_spam


def test_the_sixth_signup_in_a_minute_from_one_address_gets_429(client, db):
    codes = [post_json(client, {**GOOD, "email": f"p{i}@example.com"}).status_code for i in range(6)]
    assert codes == [201] * 5 + [429]
    assert Lead.objects.count() == 5
    other = post_json(client, {**GOOD, "email": "other@example.com"}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 201


def test_behind_a_trusted_proxy_each_visitor_has_their_own_limit(client, db, settings):
    settings.LEAD_RATE_LIMIT = "2/m"
    settings.TRUSTED_PROXY_COUNT = 1  # Caddy on the same machine: REMOTE_ADDR is always 127.0.0.1

    def signup(n: int, forwarded: str) -> int:
        body = {**GOOD, "email": f"v{n}@example.com"}
        return post_json(client, body, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded).status_code

    assert [signup(n, "203.0.113.7") for n in range(3)] == [201, 201, 429]
    assert signup(3, "198.51.100.4") == 201  # another visitor through the same proxy
    # A client's own X-Forwarded-For entry is kept on the left by the proxy and never trusted.
    assert signup(4, "10.9.9.9, 203.0.113.7") == 429


def test_without_a_trusted_proxy_a_forwarded_header_is_ignored(client, db, settings):
    settings.LEAD_RATE_LIMIT = "1/m"
    assert (
        post_json(client, {**GOOD, "email": "a@example.com"}, HTTP_X_FORWARDED_FOR="1.2.3.4").status_code
        == 201
    )
    assert (
        post_json(client, {**GOOD, "email": "b@example.com"}, HTTP_X_FORWARDED_FOR="5.6.7.8").status_code
        == 429
    )


def test_the_rate_limit_is_configurable(client, db, settings):
    settings.LEAD_RATE_LIMIT = "2/h"
    codes = [post_json(client, {**GOOD, "email": f"p{i}@example.com"}).status_code for i in range(3)]
    assert codes == [201, 201, 429]
    assert post_json(client, GOOD).json()["detail"]


def test_a_new_lead_emails_the_founder_from_a_background_job(client, db, run_jobs, mailoutbox, settings):
    settings.FOUNDER_EMAIL = "boss@example.com"
    post_json(client, {**GOOD, "channel": "zhihu", "utm_campaign": "spring"})
    assert mailoutbox == []  # not sent inside the request
    run_jobs()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["boss@example.com"]
    assert "张三" in mailoutbox[0].subject
    assert "spring" in mailoutbox[0].body
    assert f"/console/leads/{Lead.objects.get().pk}/" in mailoutbox[0].body


def test_repeats_and_spam_send_no_new_lead_email(client, db, run_jobs, mailoutbox):
    post_json(client, GOOD)
    post_json(client, GOOD)
    post_json(client, {**GOOD, "email": "bot@example.com", "website": "x"})
    run_jobs()
    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_the_lead_is_saved_and_the_email_goes_out_later(client, settings, mailoutbox):
    real_url = settings.REDIS_URL
    settings.REDIS_SOCKET_CONNECT_TIMEOUT = 0.2
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    outbox.redis_connection.cache_clear()
    down = {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0", "OPTIONS": down}
    }

    response = post_json(client, GOOD)
    assert response.status_code == 201
    assert Lead.objects.count() == 1
    message = OutboxMessage.objects.get()
    assert message.relayed_at is None

    settings.REDIS_URL = real_url
    outbox.redis_connection.cache_clear()
    OutboxMessage.objects.update(created_at=message.created_at.replace(year=2000))
    with transaction.atomic():
        assert outbox.outbox_sweep() == 1
    queue = outbox.get_queue()
    from onepco.worker import Worker as OnepcoWorker

    OnepcoWorker([queue], connection=queue.connection).work(burst=True, with_scheduler=False)
    assert len(mailoutbox) == 1


def test_the_openapi_document_describes_the_lead_endpoint(client, db):
    spec = client.get("/api/openapi.json").json()
    operation = spec["paths"]["/api/leads"]["post"]
    assert set(operation["responses"]) >= {"201", "400", "413", "429"}
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    from crm.forms import LeadForm

    assert set(schema["properties"]) == set(LeadForm.api_fields)


@pytest.mark.parametrize("rate", ["5", "5/min", "0/m", "x/h", ""])
def test_a_malformed_rate_limit_setting_stops_the_start(settings, rate):
    from crm.checks import lead_rate_limit_is_valid

    settings.LEAD_RATE_LIMIT = rate
    assert [e.id for e in lead_rate_limit_is_valid(None)] == ["crm.E001"]


@pytest.mark.parametrize("rate, expected", [("5/m", (5, 60)), ("100/h", (100, 3600)), ("2/s", (2, 1))])
def test_rate_limits_are_read_as_count_per_period(rate, expected):
    from crm.ratelimit import rate_parse

    assert rate_parse(rate) == expected


def test_a_honeypot_hit_with_a_nul_byte_is_stored_as_spam_not_a_500(client, db):
    """Found by the fuzz test: the spam path skipped the form's NUL check."""
    response = client.post(
        "/api/leads",
        "name=a&website=x&message=%00&utm_source=%00",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 201
    assert Lead.objects.get().is_spam
