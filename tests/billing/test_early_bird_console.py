"""Early-bird price windows in the console (not the admin): list, create, edit, delete, with
the price, date and overlap rules as field errors; several windows per cohort."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import EarlyBird, Order
from billing.selectors import cohort_price_at, cohorts_on_sale
from billing.services import early_bird_save
from tests import factories as f
from tests.billing.test_concurrency import run_at_once

pytestmark = pytest.mark.django_db

BUYER = {"name": "王小明", "email": "buyer@example.com", "phone": "", "consent": "on"}


def url(cohort) -> str:
    return f"/console/prices/{cohort.pk}/"


def add(client, cohort, price="1499.00", first="", last=""):
    return client.post(
        url(cohort), {"form": "early_bird", "eb-price": price, "eb-first_day": first, "eb-last_day": last}
    )


def day(n: int) -> str:
    return (timezone.localdate() + timedelta(days=n)).isoformat()


def test_the_founder_adds_a_window_and_the_sales_page_shows_it(founder_client, client, cohort):
    response = add(founder_client, cohort, "1499.00", "", day(7))

    assert response.status_code == 302 and response["Location"] == url(cohort)
    window = EarlyBird.objects.get(cohort=cohort)
    assert window.price == Decimal("1499.00") and window.first_day is None
    last = timezone.localdate() + timedelta(days=7)
    says = f"早鸟价，{last.month} 月 {last.day} 日截止"
    page = founder_client.get(url(cohort)).text
    assert says in page and "正在生效" in page
    assert says in client.get("/courses/python-bootcamp/").text
    client.post("/courses/py-7/buy/", BUYER)
    assert Order.objects.get().amount == Decimal("1499.00")


def test_windows_one_after_another_each_price_its_own_days(founder_client, cohort):
    assert add(founder_client, cohort, "1299.00", "", day(2)).status_code == 302
    assert add(founder_client, cohort, "1599.00", day(3), day(9)).status_code == 302
    now = timezone.now()

    assert cohort_price_at(cohort, now) == Decimal("1299.00")
    assert cohort_price_at(cohort, now + timedelta(days=4)) == Decimal("1599.00")
    assert cohort_price_at(cohort, now + timedelta(days=10)) == Decimal("1999.00")
    listed = cohorts_on_sale().get(pk=cohort.pk)
    assert listed.price_now == Decimal("1299.00") and listed.early_until == timezone.localdate() + timedelta(
        2
    )


def test_a_window_not_started_yet_is_not_the_price_today(founder_client, client, cohort):
    add(founder_client, cohort, "1599.00", day(3), day(9))
    assert cohort_price_at(cohort) == Decimal("1999.00")
    assert "早鸟价" not in client.get("/courses/python-bootcamp/").text


@pytest.mark.parametrize(
    ("price", "first", "last", "field", "message"),
    [
        ("2500.00", "", 7, "eb-price", "早鸟价必须低于原价"),
        ("1999.00", "", 7, "eb-price", "早鸟价必须低于原价"),
        ("0", "", 7, "eb-price", ""),
        ("1499.00", 5, 3, "eb-last_day", "截止日不能早于开始日"),
        ("1499.00", "", "", "eb-last_day", ""),
        ("abc", "", 7, "eb-price", ""),
    ],
)
def test_bad_windows_are_refused_next_to_the_field(
    founder_client, cohort, price, first, last, field, message
):
    response = add(
        founder_client, cohort, price, day(first) if first != "" else "", day(last) if last != "" else ""
    )

    assert response.status_code == 400
    form = response.context["window_form"]
    assert form.errors.get(field.removeprefix("eb-")), form.errors
    assert message in response.text
    assert not EarlyBird.objects.exists()


@pytest.mark.parametrize(
    ("first", "last"),
    [("", 3), (4, 12), (1, 4), ("", 20), (6, 6), (10, 10)],
)
def test_overlapping_windows_are_refused(founder_client, cohort, first, last):
    assert add(founder_client, cohort, "1499.00", day(3), day(10)).status_code == 302

    response = add(founder_client, cohort, "1299.00", day(first) if first != "" else "", day(last))

    assert response.status_code == 400
    assert "时间段重叠" in response.text
    assert EarlyBird.objects.count() == 1


def test_adjacent_windows_are_fine(founder_client, cohort):
    assert add(founder_client, cohort, "1499.00", day(3), day(10)).status_code == 302
    assert add(founder_client, cohort, "1299.00", "", day(2)).status_code == 302
    assert add(founder_client, cohort, "1799.00", day(11), day(20)).status_code == 302
    assert EarlyBird.objects.count() == 3


def test_the_founder_edits_and_deletes_a_window(founder_client, cohort):
    add(founder_client, cohort, "1499.00", "", day(7))
    window = EarlyBird.objects.get()
    edit = f"{url(cohort)}early-bird/{window.pk}/"

    assert founder_client.get(edit).status_code == 200
    refused = founder_client.post(edit, {"price": "3000", "first_day": "", "last_day": day(7)})
    assert refused.status_code == 400 and "早鸟价必须低于原价" in refused.text
    saved = founder_client.post(edit, {"price": "1599.00", "first_day": "", "last_day": day(8)})
    assert saved.status_code == 302
    window.refresh_from_db()
    assert window.price == Decimal("1599.00") and window.last_day == timezone.localdate() + timedelta(8)

    assert founder_client.post(f"{edit}delete/").status_code == 302
    assert not EarlyBird.objects.exists()


def test_editing_a_window_does_not_clash_with_itself_but_with_its_neighbours(founder_client, cohort):
    add(founder_client, cohort, "1499.00", "", day(3))
    add(founder_client, cohort, "1699.00", day(4), day(8))
    first = EarlyBird.objects.get(price=Decimal("1499.00"))
    edit = f"{url(cohort)}early-bird/{first.pk}/"

    assert (
        founder_client.post(edit, {"price": "1399", "first_day": "", "last_day": day(3)}).status_code == 302
    )
    clash = founder_client.post(edit, {"price": "1399", "first_day": "", "last_day": day(5)})
    assert clash.status_code == 400 and "时间段重叠" in clash.text


def test_the_price_list_shows_every_coming_cohort_linked_from_the_coupons_page(
    founder_client, cohort, django_assert_max_num_queries
):
    for n in range(5):
        other = f.make_cohort(cohort.course, starts_on=timezone.localdate() + timedelta(days=30 + n))
        EarlyBird.objects.create(cohort=other, price=Decimal("9.00"), last_day=timezone.localdate())
    EarlyBird.objects.create(cohort=cohort, price=Decimal("1499.00"), last_day=timezone.localdate())
    assert "/console/prices/" in founder_client.get("/console/coupons/").text

    with django_assert_max_num_queries(8):
        page = founder_client.get("/console/prices/")

    assert page.status_code == 200
    assert f'href="/console/prices/{cohort.pk}/"' in page.text and "早鸟价" in page.text


def test_a_window_of_another_cohort_cannot_be_edited_through_this_one(founder_client, cohort):
    other = f.make_cohort(cohort.course)
    window = EarlyBird.objects.create(cohort=other, price=Decimal("9.00"), last_day=timezone.localdate())
    assert founder_client.get(f"{url(cohort)}early-bird/{window.pk}/").status_code == 404
    assert founder_client.post(f"{url(cohort)}early-bird/{window.pk}/delete/").status_code == 404
    assert EarlyBird.objects.filter(pk=window.pk).exists()


@pytest.mark.parametrize("who", ["student_client", "outsider_client", "client"])
def test_only_the_founder_manages_early_bird_prices(request, who, cohort):
    window = EarlyBird.objects.create(cohort=cohort, price=Decimal("1499.00"), last_day=timezone.localdate())
    client = request.getfixturevalue(who)
    for path in ("/console/prices/", url(cohort), f"{url(cohort)}early-bird/{window.pk}/"):
        assert client.get(path).status_code in (302, 403, 404)
    assert add(client, cohort, "1.00", "", day(30)).status_code in (302, 403, 404)
    assert client.post(f"{url(cohort)}early-bird/{window.pk}/delete/").status_code in (302, 403, 404)
    assert list(EarlyBird.objects.values_list("price", flat=True)) == [Decimal("1499.00")]


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_windows_saved_at_once_make_one(cohort):
    last = timezone.localdate() + timedelta(days=7)

    def save(i: int):
        return early_bird_save(window=EarlyBird(cohort_id=cohort.pk, price=Decimal(1000 + i), last_day=last))

    results = run_at_once(save, n=6)

    assert EarlyBird.objects.filter(cohort=cohort).count() == 1
    assert sum(isinstance(r, EarlyBird) for r in results) == 1
