"""The waitlist (#17): a full cohort takes names, a freed seat is offered to the first in line
and held for them (never oversold), an unanswered offer passes on, the link is personal."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from billing.models import Order, WaitlistEntry
from billing.selectors import cohort_seats_left
from billing.services import (
    order_cancel,
    order_place,
    orders_expire,
    waitlist_join,
    waitlist_offer_accept,
    waitlist_offers_run,
)
from crm.models import Lead
from tests import factories as f
from tests.billing.test_concurrency import run_at_once

pytestmark = pytest.mark.django_db


def _full_cohort(capacity: int = 1):
    course = f.make_course(slug="sql-camp", title="SQL 训练营", status="published")
    cohort = f.make_cohort(
        course, slug="sql-camp-3", name="第 3 期", capacity=capacity, sale_open=True,
        starts_on=timezone.localdate() + timedelta(days=10), price=Decimal("999.00"),
    )  # fmt: skip
    orders = [
        f.make_order(cohort, status=Order.Status.PENDING, expires_at=timezone.now() + timedelta(minutes=20))
        for _ in range(capacity)
    ]
    return cohort, orders


def _offer_link(email: str) -> str:
    message = next(m for m in reversed(mail.outbox) if m.to == [email])
    return re.search(r"https?://\S+/waitlist/(\S+)/", message.body).group(0)


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_a_full_cohort_offers_join_the_waitlist_and_takes_names_once(client, signup_ready):
    cohort, _orders = _full_cohort()
    page = client.get(reverse("billing:course_detail", args=["sql-camp"]))
    join = reverse("billing:waitlist_join", args=[cohort.slug])
    assert page.status_code == 200 and join in page.text and "加入候补" in page.text
    assert join in client.get(reverse("billing:checkout", args=[cohort.slug])).text  # the buy link too
    data = {"name": "小王", "email": "Wang@Example.com", "phone": "", "consent": "on"}
    assert client.post(join, data).status_code == 200
    again = client.post(join, data)
    assert again.status_code == 200 and "你是第一位" in again.text
    entry = WaitlistEntry.objects.get()
    assert entry.cohort == cohort and entry.email == "wang@example.com" and entry.status == "waiting"
    assert entry.lead == Lead.objects.get(email="wang@example.com")  # a waitlist signup is a lead
    assert entry.lead.consent_at is not None


def test_bad_waitlist_input_is_shown_next_to_the_field(client, signup_ready):
    cohort, _orders = _full_cohort()
    join = reverse("billing:waitlist_join", args=[cohort.slug])
    response = client.post(join, {"name": "", "email": "not-an-address", "consent": ""})
    assert response.status_code == 400
    assert {"name", "email", "consent"} <= set(response.context["form"].errors)
    assert not WaitlistEntry.objects.exists()


def test_a_freed_seat_is_offered_held_and_taken_through_the_personal_link(client, run_jobs):
    cohort, (order,) = _full_cohort()
    first = waitlist_join(cohort=cohort, name="甲", email="jia@example.com", phone="")
    second = waitlist_join(cohort=cohort, name="乙", email="yi@example.com", phone="")
    order_cancel(order=order)  # the seat frees: the waitlist's turn, through the outbox
    run_jobs()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "offered" and second.status == "waiting"
    assert first.offer_expires_at - first.offered_at == timedelta(hours=24)
    assert cohort_seats_left(cohort) == 0  # held for 甲: nobody else can buy it
    with pytest.raises(ValidationError) as refused:
        order_place(cohort=cohort, buyer_name="路人", buyer_email="walkin@example.com")
    assert refused.value.code == "sold_out"
    link = _offer_link("jia@example.com")
    assert first.token in link and len([m for m in mail.outbox if m.to == ["jia@example.com"]]) == 1
    waitlist_offers_run()  # the job running again changes nothing and sends nothing
    run_jobs()
    assert len([m for m in mail.outbox if m.to == ["jia@example.com"]]) == 1
    page = client.get(_path(link))
    assert page.status_code == 200 and "为你保留" in page.text
    taken = client.post(_path(link), {"name": "甲"})
    placed = Order.objects.get(buyer_email="jia@example.com")
    assert taken.status_code == 302 and taken["Location"] == reverse("billing:pay", args=[placed.number])
    first.refresh_from_db()
    assert first.status == "accepted" and first.order == placed
    assert cohort_seats_left(cohort) == 0  # the order holds the seat now, once
    used = client.get(_path(link))
    assert used.status_code == 410 and Order.objects.filter(buyer_email="jia@example.com").count() == 1


def test_an_unanswered_offer_passes_to_the_next_and_its_link_holds_nothing(client, run_jobs):
    cohort, (order,) = _full_cohort()
    first = waitlist_join(cohort=cohort, name="甲", email="jia@example.com", phone="")
    waitlist_join(cohort=cohort, name="乙", email="yi@example.com", phone="")
    orders_expire(now=order.expires_at + timedelta(seconds=1))
    run_jobs()
    link = _offer_link("jia@example.com")
    later = timezone.now() + timedelta(hours=24, minutes=1)
    assert waitlist_offers_run(now=later) == 1
    run_jobs()
    first.refresh_from_db()
    assert first.status == "lapsed"
    assert WaitlistEntry.objects.get(email="yi@example.com").status == "offered"
    assert _offer_link("yi@example.com")
    lapsed = client.post(_path(link), {"name": "甲"})
    assert lapsed.status_code == 410 and "已失效" in lapsed.text
    assert not Order.objects.filter(buyer_email="jia@example.com").exists()
    assert cohort_seats_left(cohort, later) == 0  # 乙's hold: still one seat, never two


def test_the_link_opened_by_someone_else_signed_in_holds_no_seat(outsider_client, run_jobs):
    cohort, (order,) = _full_cohort()
    waitlist_join(cohort=cohort, name="甲", email="jia@example.com", phone="")
    order_cancel(order=order)
    run_jobs()
    path = _path(_offer_link("jia@example.com"))
    assert outsider_client.get(path).status_code == 403
    response = outsider_client.post(path, {"name": "路人"})
    assert response.status_code == 403 and "不是给你的" in response.text
    assert WaitlistEntry.objects.get().status == "offered"
    assert not Order.objects.filter(buyer_email="jia@example.com").exists()
    assert not Order.objects.filter(buyer_email="outsider@example.com").exists()


def test_an_unknown_link_is_not_found(client):
    assert client.get(reverse("billing:waitlist_offer", args=["nope"])).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_concurrent_checkouts_never_take_a_seat_held_for_the_waitlist():
    cohort = f.make_cohort(capacity=2, sale_open=True, price=Decimal("99.00"))
    f.make_order(cohort, status=Order.Status.PAID)
    held = f.make_order(cohort, status=Order.Status.PENDING, expires_at=timezone.now() + timedelta(minutes=5))
    waitlist_join(cohort=cohort, name="甲", email="jia@example.com", phone="")
    order_cancel(order=held)
    assert waitlist_offers_run() == 1

    def buy(i: int):
        return order_place(cohort=cohort, buyer_name=f"买家{i}", buyer_email=f"racer{i}@example.com")

    results = run_at_once(buy, n=10)
    assert all(isinstance(r, ValidationError) and r.code == "sold_out" for r in results), results
    entry = WaitlistEntry.objects.get()
    placed = waitlist_offer_accept(token=entry.token, name="甲")
    assert placed.buyer_email == "jia@example.com"
    assert Order.objects.filter(cohort=cohort, status__in=["paid", "pending"]).count() == 2  # capacity


def test_the_founder_sees_reorders_and_offers_by_hand(
    founder_client, run_jobs, django_assert_max_num_queries
):
    cohort, _orders = _full_cohort(capacity=2)
    entries = [
        waitlist_join(cohort=cohort, name=f"候补{i}", email=f"w{i}@example.com", phone="") for i in range(5)
    ]
    url = reverse("billing:waitlist_console", args=[cohort.pk])
    assert url in founder_client.get(reverse("billing:order_list")).text  # found from 订单
    with django_assert_max_num_queries(12):
        page = founder_client.get(url)
    assert page.status_code == 200 and all(e.name in page.text for e in entries)
    founder_client.post(reverse("billing:waitlist_action", args=[cohort.pk, entries[2].pk, "up"]))
    order = [e.pk for e in WaitlistEntry.objects.filter(cohort=cohort).order_by("position", "id")]
    assert order[:3] == [entries[0].pk, entries[2].pk, entries[1].pk]
    refused = founder_client.post(
        reverse("billing:waitlist_action", args=[cohort.pk, entries[4].pk, "offer"]), follow=True
    )
    assert (
        "没有空出的名额" in refused.text and WaitlistEntry.objects.get(pk=entries[4].pk).status == "waiting"
    )
    cohort.capacity = 3
    cohort.save()
    founder_client.post(reverse("billing:waitlist_action", args=[cohort.pk, entries[4].pk, "offer"]))
    run_jobs()
    assert WaitlistEntry.objects.get(pk=entries[4].pk).status == "offered"
    assert _offer_link("w4@example.com")


@pytest.mark.parametrize("who", ["client", "student_client", "outsider_client"])
def test_wrong_users_cannot_see_or_change_the_waitlist(request, who):
    cohort, _orders = _full_cohort()
    entry = waitlist_join(cohort=cohort, name="甲", email="jia@example.com", phone="")
    other = waitlist_join(cohort=cohort, name="乙", email="yi@example.com", phone="")
    visitor = request.getfixturevalue(who)
    page = visitor.get(reverse("billing:waitlist_console", args=[cohort.pk]))
    assert page.status_code in (302, 403, 404) and "jia@example.com" not in page.text
    for action in ("down", "offer", "remove"):
        response = visitor.post(reverse("billing:waitlist_action", args=[cohort.pk, entry.pk, action]))
        assert response.status_code in (302, 403, 404)
        if response.status_code == 302:
            assert response["Location"].startswith("/accounts/login/")
    entry.refresh_from_db()
    other.refresh_from_db()
    assert (entry.status, entry.position, other.position) == ("waiting", 1, 2)
