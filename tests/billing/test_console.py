"""The founder's order pages: who may see them, filters, query counts, creating an order for a lead."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import Order, PaymentEvent
from tests import factories as f

CONSOLE_GETS = ["/console/orders/", "/console/orders/new/", "/console/orders/{number}/"]
CONSOLE_POSTS = [
    "/console/orders/{number}/refund/",
    "/console/orders/{number}/cancel/",
    "/console/orders/{number}/query/",
    "/console/orders/{number}/confirm/",
    "/console/orders/{number}/enroll/",
    "/console/orders/{number}/release/",
]


@pytest.mark.parametrize("url", CONSOLE_GETS + CONSOLE_POSTS)
def test_students_and_outsiders_get_403_and_the_order_is_unchanged(
    student_client, outsider_client, client, order, url
):
    url = url.format(number=order.number)
    before = Order.objects.filter(pk=order.pk).values().get()
    for c in (student_client, outsider_client):
        assert c.post(url, {"amount": "1", "reason": "x"}).status_code == 403
        assert c.get(url).status_code in (403, 405)
    anonymous = client.post(url, {"amount": "1", "reason": "x"})
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert Order.objects.filter(pk=order.pk).values().get() == before
    assert PaymentEvent.objects.count() == 0


def test_proof_image_is_staff_only(client, student_client, order, founder_client, payee):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from billing.services import transfer_proof_upload
    from tests.billing.conftest import image_bytes

    Order.objects.filter(pk=order.pk).update(provider="manual")
    proof = transfer_proof_upload(order=order, image=SimpleUploadedFile("p.png", image_bytes()))
    url = f"/console/orders/{order.number}/proofs/{proof.pk}/"
    assert student_client.get(url).status_code == 403
    assert client.get(url).status_code == 302
    assert founder_client.get(url).status_code == 200


def test_order_list_filters_by_status_provider_cohort_and_date(founder_client, cohort):
    paid = f.make_order(cohort, status="paid", provider="alipay")
    pending = f.make_order(cohort, provider="wechat", expires_at=timezone.now() + timedelta(minutes=5))
    other = f.make_order(f.make_cohort(), status="paid", provider="stripe")
    old = f.make_order(cohort, status="expired", created_at=timezone.now() - timedelta(days=40))

    def numbers(query: str) -> set[str]:
        response = founder_client.get("/console/orders/?" + query)
        assert response.status_code == 200
        return {o.number for o in response.context["page_obj"].object_list}

    assert numbers("status=pending") == {pending.number}
    assert numbers("provider=alipay") == {paid.number}
    assert numbers(f"cohort={cohort.pk}") == {paid.number, pending.number, old.number}
    since = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert numbers(f"since={since}") == {paid.number, pending.number, other.number}
    assert numbers(f"q={paid.number}") == {paid.number}
    assert founder_client.get("/console/orders/?status=bogus").status_code == 200


def test_order_list_query_count_does_not_grow_with_orders(
    founder_client, cohort, django_assert_max_num_queries
):
    for _ in range(3):
        f.make_order(cohort, status="paid", lead=f.make_lead())
    with django_assert_max_num_queries(12):
        founder_client.get("/console/orders/")
    for _ in range(20):
        f.make_order(f.make_cohort(), status="paid", lead=f.make_lead())
    with django_assert_max_num_queries(12):
        response = founder_client.get("/console/orders/")
    assert len(response.context["page_obj"].object_list) == 23


def test_order_detail_shows_the_event_log_and_the_payment_link(
    founder_client, order, alipay_on, keys, client
):
    from tests.billing.conftest import alipay_notification

    client.post(
        "/billing/notify/alipay/",
        data=alipay_notification(order, keys["stranger"]),
        content_type="application/x-www-form-urlencoded",
    )
    PaymentEvent.objects.update(order=order)
    response = founder_client.get(f"/console/orders/{order.number}/")
    assert response.status_code == 200
    assert f"/pay/{order.number}/".encode() in response.content
    assert b"bad signature" in response.content


def test_founder_creates_an_order_for_a_lead_at_an_adjusted_price(founder_client, founder, cohort):
    lead = f.make_lead(name="韩梅梅", email="meimei@example.com", phone="13700000000")
    page = founder_client.get(f"/console/orders/new/?lead={lead.pk}")
    assert page.context["form"].initial["buyer_email"] == "meimei@example.com"

    response = founder_client.post(
        f"/console/orders/new/?lead={lead.pk}",
        {
            "cohort": cohort.pk,
            "buyer_name": "韩梅梅",
            "buyer_email": "meimei@example.com",
            "amount": "1500.00",
        },
    )

    order = Order.objects.get()
    assert response["Location"] == f"/console/orders/{order.number}/"
    assert order.amount == Decimal("1500.00") and order.lead == lead and order.created_by == founder
    assert order.expires_at - timezone.now() > timedelta(hours=71)


def test_founder_order_with_bad_input_says_why(founder_client, cohort):
    response = founder_client.post(
        "/console/orders/new/", {"cohort": cohort.pk, "buyer_name": "", "buyer_email": "x", "amount": "-5"}
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"buyer_name", "buyer_email", "amount"}
    assert Order.objects.count() == 0
    assert founder_client.get("/console/orders/new/?lead=abc").status_code == 200


def test_founder_cancels_a_pending_order(founder_client, order):
    founder_client.post(f"/console/orders/{order.number}/cancel/")
    order.refresh_from_db()
    assert order.status == "cancelled"


def test_console_home_links_pending_orders_to_the_order_list(founder_client, order):
    response = founder_client.get("/console/")
    assert b'href="/console/orders/?status=pending"' in response.content


def test_a_lead_or_proof_id_that_is_not_a_plain_number_is_ignored_not_a_500(founder_client, order):
    assert founder_client.get("/console/orders/new/?lead=²").status_code == 200
    response = founder_client.post(f"/console/orders/{order.number}/confirm/", {"proof": "²"})
    assert response.status_code in (302, 404)
