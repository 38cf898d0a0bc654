"""把下一期推荐给所有候补的人: one action e-mails everyone still waiting a personal link to the
next cohort's checkout (filled in), once per person and cohort, holding no seat; people
without an e-mail are listed to call; unsubscribed people get nothing."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from billing.models import Order, WaitlistEntry
from billing.selectors import cohort_seats_left
from billing.services import waitlist_join, waitlist_next_cohort_offer, waitlist_offers_run
from onepco.models import MarketingOptOut, OutboxMessage
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohorts():
    course = f.make_course(slug="sql-camp", title="SQL 训练营", status="published")
    full = f.make_cohort(
        course, slug="sql-camp-3", name="第 3 期", capacity=1, sale_open=True, price=Decimal("999.00"),
        starts_on=timezone.localdate() + timedelta(days=10),
    )  # fmt: skip
    f.make_order(full, status=Order.Status.PAID)
    following = f.make_cohort(
        course, slug="sql-camp-4", name="第 4 期", capacity=2, sale_open=True, price=Decimal("1099.00"),
        starts_on=timezone.localdate() + timedelta(days=60),
    )  # fmt: skip
    return full, following


def line(full):
    waitlist_join(cohort=full, name="王小明", email="wang@example.com", phone="")
    waitlist_join(cohort=full, name="李华", email="li@example.com", phone="13900000000")
    waitlist_join(cohort=full, name="赵六", email="", phone="13800138000")
    waitlist_join(cohort=full, name="退订者", email="gone@example.com", phone="")
    MarketingOptOut.objects.create(email="gone@example.com")


def sent() -> list:
    """The next-cohort e-mails (a waitlist signup also alerts the founder to a new lead)."""
    return [m for m in mail.outbox if "下一期开始报名了" in m.subject]


def action(client, full, following):
    return client.post(f"/console/waitlist/{full.pk}/next-cohort/", {"cohort": following.pk})


def test_everyone_waiting_gets_one_email_with_a_filled_in_link_and_no_seat_is_held(
    founder_client, client, cohorts, run_jobs
):
    full, following = cohorts
    line(full)

    response = action(founder_client, full, following)

    assert response.status_code == 302
    run_jobs()
    assert sorted(m.to[0] for m in sent()) == ["li@example.com", "wang@example.com"]
    message = next(m for m in sent() if m.to == ["wang@example.com"])
    assert "第 4 期" in message.subject and "List-Unsubscribe" in message.extra_headers
    assert "你在 SQL 训练营 · 第 3 期 的候补名单上" in message.body and "先付款先得" in message.body
    assert "/unsubscribe/" in message.body
    link = re.search(r"https?://\S+/courses/sql-camp-4/buy/\?from=\S+", message.body).group(0)
    assert cohort_seats_left(following) == 2  # first come, first served
    checkout = client.get("/" + link.split("://", 1)[1].split("/", 1)[1])
    assert checkout.status_code == 200
    assert checkout.context["form"].initial["email"] == "wang@example.com"
    assert checkout.context["form"].initial["name"] == "王小明"
    entries = {e.name: e for e in WaitlistEntry.objects.all()}
    assert entries["王小明"].next_cohort == following and entries["王小明"].next_cohort_offered_at
    assert entries["赵六"].next_cohort == following  # to call
    assert entries["退订者"].next_cohort is None
    assert all(e.status == "waiting" for e in entries.values())  # still in line for their cohort


def test_the_page_lists_the_people_to_call_and_marks_who_was_recommended(founder_client, cohorts):
    full, following = cohorts
    line(full)
    follow = founder_client.post(
        f"/console/waitlist/{full.pk}/next-cohort/", {"cohort": following.pk}, follow=True
    )

    page = follow.content.decode()
    assert "2 人已收到第 4 期的链接" in page and "1 人已退订" in page and "1 人没有邮箱" in page
    to_call = page.split('id="to-call"', 1)[1].split("</div>", 1)[0]
    assert "赵六" in to_call and "13800138000" in to_call and "王小明" not in to_call
    assert page.count("已推荐第 4 期") == 3


def test_the_action_is_not_repeated_for_the_same_person(founder_client, cohorts, run_jobs):
    full, following = cohorts
    line(full)
    action(founder_client, full, following)
    run_jobs()
    before = len(sent())
    waitlist_join(cohort=full, name="新来的", email="new@example.com", phone="")

    assert action(founder_client, full, following).status_code == 302
    run_jobs()

    assert [m.to for m in sent()[before:]] == [["new@example.com"]]
    assert OutboxMessage.objects.filter(job="billing.jobs.send_next_cohort_offer").count() == 3


def test_someone_who_unsubscribes_after_the_click_gets_nothing(founder_client, cohorts, run_jobs):
    full, following = cohorts
    waitlist_join(cohort=full, name="王小明", email="wang@example.com", phone="")
    action(founder_client, full, following)
    MarketingOptOut.objects.create(email="wang@example.com")
    run_jobs()
    assert sent() == []


def test_people_offered_a_seat_or_gone_are_not_emailed(founder_client, cohorts, run_jobs):
    full, following = cohorts
    line(full)
    Order.objects.filter(cohort=full).update(status=Order.Status.REFUNDED)  # a seat frees
    assert waitlist_offers_run() == 1
    run_jobs()  # the seat offer to 王小明
    WaitlistEntry.objects.filter(name="李华").update(status=WaitlistEntry.Status.REMOVED)

    action(founder_client, full, following)
    run_jobs()

    assert sent() == []
    assert WaitlistEntry.objects.filter(next_cohort=following).count() == 1  # 赵六, to call


def test_a_person_who_already_bought_the_next_cohort_is_skipped(cohorts):
    full, following = cohorts
    waitlist_join(cohort=full, name="王小明", email="wang@example.com", phone="")
    f.make_order(following, status=Order.Status.PAID, buyer_email="Wang@example.com")
    assert waitlist_next_cohort_offer(cohort=full, next_cohort=following)["emailed"] == 0


@pytest.mark.parametrize("which", ["same", "other_course", "not_on_sale", "missing"])
def test_only_another_cohort_of_the_course_on_sale_can_be_recommended(founder_client, cohorts, which):
    full, _following = cohorts
    line(full)
    target = {
        "same": full.pk,
        "other_course": f.make_cohort(f.make_course(), sale_open=True, starts_on=timezone.localdate()).pk,
        "not_on_sale": f.make_cohort(full.course, sale_open=False).pk,
        "missing": 999999,
    }[which]

    response = founder_client.post(f"/console/waitlist/{full.pk}/next-cohort/", {"cohort": target})

    assert response.status_code == 400 and response.context["next_form"].errors["cohort"]
    assert not WaitlistEntry.objects.filter(next_cohort__isnull=False).exists()
    assert not OutboxMessage.objects.filter(job="billing.jobs.send_next_cohort_offer").exists()


def test_the_waitlist_page_offers_the_cohorts_on_sale_of_the_course(founder_client, cohorts):
    full, following = cohorts
    line(full)
    page = founder_client.get(f"/console/waitlist/{full.pk}/").text
    assert "把下一期推荐给所有候补的人" in page
    assert f'<option value="{following.pk}">第 4 期' in page and f'<option value="{full.pk}"' not in page


def test_a_forged_link_fills_in_nothing(client, cohorts):
    _full, following = cohorts
    response = client.get(f"/courses/{following.slug}/buy/?from=forged")
    assert response.status_code == 200 and not response.context["form"].initial.get("email")


@pytest.mark.parametrize("who", ["student_client", "outsider_client", "client"])
def test_only_the_founder_recommends_the_next_cohort(request, who, cohorts):
    full, following = cohorts
    line(full)
    assert action(request.getfixturevalue(who), full, following).status_code in (302, 403, 404)
    assert not WaitlistEntry.objects.filter(next_cohort__isnull=False).exists()


def test_the_waitlist_page_stays_a_few_queries_however_long_the_line(
    founder_client, cohorts, django_assert_max_num_queries
):
    full, following = cohorts
    for i in range(30):
        waitlist_join(
            cohort=full, name=f"候补{i}", email=f"w{i}@example.com" if i % 3 else "", phone=f"1380000{i:04d}"
        )
    waitlist_next_cohort_offer(cohort=full, next_cohort=following)

    with django_assert_max_num_queries(12):
        page = founder_client.get(f"/console/waitlist/{full.pk}/")

    assert page.status_code == 200 and page.text.count("已推荐第 4 期") == 30
