"""Generated bad input against the three APIs and the payment notification endpoints: never a 500.

Hypothesis builds bodies of every shape (wrong types, unknown fields, huge strings, broken JSON,
random bytes under random content types, hostile query strings); the only promise checked is
the one that matters to a caller: a 4xx with a reason, or a success — never a server error.
"""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
LEAD_FIELDS = [
    "name",
    "email",
    "phone",
    "wechat",
    "message",
    "consent",
    "channel",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "landing_page",
    "referrer",
    "website",
    "id",
    "status",
    "is_spam",
]
SUBMISSION_FIELDS = ["assignment", "text", "link", "file", "attempt", "student", "score"]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=300)
    | st.sampled_from(["", " ", "\x00", "a@b", "+86 138 0013 8000", "<script>alert(1)</script>", "é" * 5000])
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
content_types = st.sampled_from(
    [
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "text/plain",
        "application/xml",
        "application/json; charset=utf-8",
        "",
    ]
)


def bodies(fields: list[str]):
    as_json = st.dictionaries(st.sampled_from(fields) | st.text(max_size=12), values, max_size=10).map(
        lambda d: ("application/json", json.dumps(d).encode())
    )
    as_form = st.dictionaries(st.sampled_from(fields), st.text(max_size=200), max_size=10).map(
        lambda d: ("application/x-www-form-urlencoded", "&".join(f"{k}={v}" for k, v in d.items()).encode())
    )
    raw = st.tuples(content_types, st.binary(max_size=2000))
    return as_json | as_form | raw


def assert_no_server_error(response) -> None:
    assert response.status_code < 500, (response.status_code, response.content[:300])


@FUZZ
@given(body=bodies(LEAD_FIELDS))
def test_lead_api_answers_bad_input_with_a_4xx(client, body):
    content_type, data = body
    assert_no_server_error(client.post("/api/leads", data=data, content_type=content_type))


@FUZZ
@given(body=bodies(SUBMISSION_FIELDS))
def test_submission_api_answers_bad_input_with_a_4xx(student_client, body):
    content_type, data = body
    assert_no_server_error(student_client.post("/api/submissions", data=data, content_type=content_type))


@FUZZ
@given(week=st.text(max_size=40) | st.from_regex(r"\A-?\d{1,6}-W-?\d{1,4}\Z"))
def test_dashboard_api_answers_any_week_with_a_4xx_or_the_numbers(founder_client, week):
    response = founder_client.get("/api/dashboard/weekly", {"week": week})
    assert response.status_code in (200, 400), (week, response.status_code)


NOTIFY = ["/billing/notify/alipay/", "/billing/notify/wechat/", "/billing/webhooks/stripe/"]
header_values = st.text(max_size=200, alphabet=st.characters(min_codepoint=32, max_codepoint=126))


@FUZZ
@given(
    url=st.sampled_from(NOTIFY),
    body=bodies(
        [
            "out_trade_no",
            "trade_no",
            "total_amount",
            "trade_status",
            "app_id",
            "sign",
            "sign_type",
            "resource",
            "event_type",
            "id",
            "type",
            "data",
        ]
    ),
    signature=header_values,
    timestamp=header_values,
)
def test_notification_endpoints_refuse_forgeries_without_a_500(client, url, body, signature, timestamp):
    content_type, data = body
    response = client.post(
        url,
        data=data,
        content_type=content_type,
        HTTP_WECHATPAY_SIGNATURE=signature,
        HTTP_WECHATPAY_TIMESTAMP=timestamp,
        HTTP_WECHATPAY_NONCE=signature[:32],
        HTTP_WECHATPAY_SERIAL=timestamp[:40],
        HTTP_STRIPE_SIGNATURE=signature,
    )
    assert_no_server_error(response)
