"""今天, the console home: each list holds the right rows, in the right order, capped with a
"see all"; an empty list says so; strangers are refused; the page asks a bounded number of
questions whatever the size of the business."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import TransferProof
from cohorts.models import QuizAttempt
from crm.models import Consultation
from onepco.outbox import get_queue
from onepco.weeks import Week
from tests import factories as f


def today():
    return timezone.localdate()


def at(day, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_default_timezone())


def home(client):
    response = client.get("/console/")
    assert response.status_code == 200
    return response


def proof_for(order, **fields) -> TransferProof:
    proof = TransferProof(order=order, **fields)
    proof.image.save("proof.png", ContentFile(b"\x89PNG proof"), save=False)
    proof.save()
    return proof


def missed_everything(cohort, student, *, lessons: int = 3) -> None:
    """The student joined long ago and missed the cohort's last lessons."""
    for days in range(lessons):
        f.make_lesson(cohort, starts_at=timezone.now() - timedelta(days=days + 1))


# --- who may see it ---------------------------------------------------------------------


def test_strangers_are_refused(client, outsider_client, student_client):
    assert client.get("/console/").status_code == 302
    assert outsider_client.get("/console/").status_code == 403
    assert student_client.get("/console/").status_code == 403


# --- leads to follow up -----------------------------------------------------------------


def test_follow_ups_due_today_and_overdue_are_listed_the_most_overdue_first(founder_client):
    f.make_lead(name="今天的", next_follow_up_on=today())
    f.make_lead(name="逾期三天", next_follow_up_on=today() - timedelta(days=3))
    f.make_lead(name="逾期一天", next_follow_up_on=today() - timedelta(days=1))
    f.make_lead(name="明天的", next_follow_up_on=today() + timedelta(days=1))
    f.make_lead(name="没有计划")
    f.make_lead(name="垃圾", is_spam=True, next_follow_up_on=today())
    response = home(founder_client)
    follow_ups = response.context["follow_ups"]
    assert [lead.name for lead in follow_ups.rows] == ["逾期三天", "逾期一天", "今天的"]
    assert follow_ups.count == 3
    html = response.content.decode()
    assert "逾期 3 天" in html and "今天到期" in html
    assert "明天的" not in html and "垃圾" not in html


def test_a_follow_up_line_calls_and_copies_the_wechat_id_in_one_tap(founder_client):
    lead = f.make_lead(name="王小明", phone="+8613800138000", wechat="xm_wang", next_follow_up_on=today())
    html = home(founder_client).content.decode()
    assert 'href="tel:+8613800138000"' in html
    assert f'<span id="wx-{lead.pk}">xm_wang</span>' in html
    assert f'data-copy="wx-{lead.pk}"' in html
    assert f'href="/console/leads/{lead.pk}/"' in html


def test_the_follow_up_list_is_capped_with_a_link_to_all_of_them(founder_client):
    for days in range(7):
        f.make_lead(name=f"线索{days}", next_follow_up_on=today() - timedelta(days=days))
    response = home(founder_client)
    follow_ups = response.context["follow_ups"]
    assert len(follow_ups.rows) == 5 and follow_ups.count == 7
    html = response.content.decode()
    assert "还有 2 条" in html and 'href="/console/leads/?todo=follow_up"' in html
    listed = founder_client.get("/console/leads/?todo=follow_up")
    assert [lead.name for lead in listed.context["leads"]] == [f"线索{d}" for d in range(6, -1, -1)]


def test_new_leads_not_contacted_yet_are_counted_with_a_link(founder_client):
    f.make_lead(status="new")
    f.make_lead(status="contacted")
    html = home(founder_client).content.decode()
    assert "1 条新线索还没联系" in html and 'href="/console/leads/?status=new"' in html


# --- consultations ----------------------------------------------------------------------


def test_consultations_of_today_and_tomorrow_are_listed_in_time_order(founder_client):
    lead = f.make_lead(name="咨询者")
    tomorrow = f.make_consultation(lead, scheduled_at=at(today() + timedelta(days=1), 10))
    now = f.make_consultation(lead, scheduled_at=at(today(), 0, 0), meeting_url="https://meeting.example/1")
    f.make_consultation(lead, scheduled_at=at(today() + timedelta(days=2), 10))  # the day after
    f.make_consultation(lead, scheduled_at=at(today() - timedelta(days=1), 10), status="held")  # marked
    f.make_consultation(lead, scheduled_at=at(today(), 12), status="cancelled")
    response = home(founder_client)
    assert response.context["consultations"].rows == [now, tomorrow]
    html = response.content.decode()
    assert 'href="https://meeting.example/1"' in html
    assert f'action="/console/leads/{lead.pk}/consultations/{now.pk}/"' in html
    # Held / no-show only for the one that has begun; tomorrow's offers nothing to mark yet.
    assert html.count('name="status" value="held"') == 1
    assert html.count('name="status" value="no_show"') == 1


def test_an_earlier_consultation_nobody_marked_stays_until_it_is_marked(founder_client):
    lead = f.make_lead(name="上周咨询者")
    yesterday = f.make_consultation(lead, scheduled_at=at(today() - timedelta(days=1), 10))
    f.make_consultation(lead, scheduled_at=at(today() - timedelta(days=15), 10))  # too old to nag about
    response = home(founder_client)
    assert response.context["consultations"].rows == [yesterday]
    html = response.content.decode()
    assert "还没标记" in html and html.count('name="status" value="held"') == 1
    founder_client.post(f"/console/leads/{lead.pk}/consultations/{yesterday.pk}/", {"status": "no_show"})
    assert home(founder_client).context["consultations"].rows == []


@pytest.mark.parametrize("outcome", ["held", "no_show"])
def test_a_consultation_is_marked_from_the_home_in_one_tap(founder_client, outcome):
    lead = f.make_lead(name="咨询者", status="contacted")
    consultation = f.make_consultation(lead, scheduled_at=at(today(), 0, 1))
    response = founder_client.post(
        f"/console/leads/{lead.pk}/consultations/{consultation.pk}/",
        {"status": outcome, "next": "/console/#consultations"},
    )
    assert response.status_code == 302 and response["Location"] == "/console/#consultations"
    consultation.refresh_from_db()
    assert consultation.status == outcome
    assert (consultation.held_at is not None) == (outcome == "held")
    assert home(founder_client).context["consultations"].rows == []


def test_a_consultation_outcome_never_redirects_off_the_site(founder_client):
    lead = f.make_lead()
    consultation = f.make_consultation(lead, scheduled_at=at(today(), 0, 1))
    response = founder_client.post(
        f"/console/leads/{lead.pk}/consultations/{consultation.pk}/",
        {"status": "held", "next": "https://evil.example/"},
    )
    assert response["Location"] == f"/console/leads/{lead.pk}/"


def test_a_stranger_cannot_mark_a_consultation(outsider_client):
    consultation = f.make_consultation(f.make_lead(), scheduled_at=at(today(), 0, 1))
    response = outsider_client.post(
        f"/console/leads/{consultation.lead_id}/consultations/{consultation.pk}/",
        {"status": "held", "next": "/console/"},
    )
    assert response.status_code in (403, 404)
    consultation.refresh_from_db()
    assert consultation.status == Consultation.Status.SCHEDULED


# --- payments ---------------------------------------------------------------------------


def test_transfers_to_confirm_and_orders_about_to_expire(founder_client, cohort_a):
    now = timezone.now()
    waiting = f.make_order(cohort_a, buyer_name="转账者", expires_at=now + timedelta(days=2))
    proof_for(waiting)
    reviewed = f.make_order(cohort_a, buyer_name="已确认", status="paid")
    proof_for(reviewed, status="confirmed")
    soon = f.make_order(cohort_a, buyer_name="快过期", expires_at=now + timedelta(hours=3))
    sooner = f.make_order(cohort_a, buyer_name="更快过期", expires_at=now + timedelta(minutes=20))
    f.make_order(cohort_a, buyer_name="还早", expires_at=now + timedelta(days=2))
    f.make_order(cohort_a, buyer_name="过期了", expires_at=now - timedelta(minutes=1))
    response = home(founder_client)
    assert [p.order for p in response.context["transfers"].rows] == [waiting]
    assert response.context["expiring"].rows == [sooner, soon]
    html = response.content.decode()
    assert f'href="/console/orders/{waiting.number}/"' in html
    assert "还早" not in html and "过期了" not in html
    # The lists behind them
    proofs = founder_client.get("/console/orders/?waiting=proof").context["page_obj"].object_list
    assert list(proofs) == [waiting]
    expiring = founder_client.get("/console/orders/?waiting=expiring").context["page_obj"].object_list
    assert list(expiring) == [sooner, soon]


# --- homework ---------------------------------------------------------------------------


def test_homework_to_grade_is_counted_oldest_first_with_one_tap_into_the_queue(
    founder_client, student, other_student, cohort_a, cohort_b
):
    first = f.make_assignment(cohort_a, title="第一课作业")
    second = f.make_assignment(cohort_b, title="第二课作业")
    newer = f.make_submission(first, student, submitted_at=timezone.now() - timedelta(hours=1))
    older = f.make_submission(second, other_student, submitted_at=timezone.now() - timedelta(days=2))
    f.make_submission(first, other_student, graded_at=timezone.now(), score=80, passed=True)
    response = home(founder_client)
    grading = response.context["grading"]
    assert grading.rows == [older, newer] and grading.count == 2
    html = response.content.decode()
    assert 'href="/console/grading/"' in html and f'href="/console/submissions/{older.pk}/"' in html
    assert str(cohort_b) in html  # the cohort named with its course


def test_online_tests_waiting_for_grading_are_named_under_the_homework(founder_client, student, cohort_a):
    quiz = f.make_quiz(cohort_a)
    assert "份测评" not in home(founder_client).content.decode()
    QuizAttempt.objects.create(quiz=quiz, student=student, status=QuizAttempt.Status.GRADING,
                               submitted_at=timezone.now())  # fmt: skip
    response = home(founder_client)
    assert response.context["tests_to_grade"] == 1
    html = response.content.decode()
    assert "1 份测评" in html and 'href="/console/grading/#test-queue"' in html


# --- students at risk -------------------------------------------------------------------


def test_students_at_risk_are_listed_with_their_cohort_named_with_its_course(
    founder_client, student, other_student, cohort_a, cohort_b
):
    missed_everything(cohort_a, student)
    for lesson in [
        f.make_lesson(cohort_b, starts_at=timezone.now() - timedelta(days=d + 1)) for d in range(3)
    ]:
        f.make_attendance(lesson, other_student, "full")
    response = home(founder_client)
    at_risk = response.context["at_risk"]
    assert [e.student for e in at_risk.rows] == [student] and at_risk.count == 1
    html = response.content.decode()
    assert f"{cohort_a.course.title} · {cohort_a.name}" in html
    assert "最近 3 节课缺席 3 节" in html
    assert other_student.user.name not in html


# --- the system and the week ------------------------------------------------------------


def test_failed_jobs_show_with_a_link_to_the_system_page_only_when_there_are_some(founder_client, run_jobs):
    assert "后台任务失败" not in home(founder_client).content.decode()
    get_queue().enqueue("builtins.int", "not a number")
    run_jobs()
    response = home(founder_client)
    assert response.context["failed_jobs"] == 1
    assert "1 个后台任务失败" in response.content.decode()


def test_the_running_week_shows_revenue_and_new_leads_so_far(founder_client, cohort_a):
    now = timezone.now()
    week = Week.of(now)
    f.make_order(
        cohort_a, status="paid", amount=Decimal("1999.00"), paid_at=week.start + timedelta(minutes=1)
    )
    f.make_order(cohort_a, status="paid", amount=Decimal("500.00"), paid_at=week.start - timedelta(minutes=1))
    f.make_lead(created_at=week.start + timedelta(minutes=2))
    f.make_lead(created_at=week.start - timedelta(days=2))
    f.make_lead(created_at=week.start + timedelta(minutes=3), is_spam=True)
    figures = home(founder_client).context["week"]
    assert figures.revenue == Decimal("1999.00") and figures.deals == 1
    assert figures.leads == 1
    # Last week until the same moment: the order one minute before this Monday is after it.
    assert figures.revenue_before == (Decimal("500.00") if now - week.start < timedelta(minutes=1) else 0)
    assert figures.leads_before == (1 if now - timedelta(days=7) > week.start - timedelta(days=2) else 0)


def test_every_empty_list_says_something_useful(founder_client):
    html = home(founder_client).content.decode()
    for sentence in (
        "今天没有要跟进的线索",
        "今天和明天没有安排咨询",
        "没有等待你确认的转账",
        "作业都批改完了",
        "没有掉队的学员",
    ):
        assert sentence in html
    assert 'class="empty"' not in html


# --- how many questions it asks ---------------------------------------------------------


def a_bit_of_everything(cohort, student, n: int) -> None:
    for i in range(n):
        lead = f.make_lead(next_follow_up_on=today() - timedelta(days=i), status="new")
        f.make_consultation(lead, scheduled_at=at(today() + timedelta(days=1), 9, i))
        order = f.make_order(cohort, expires_at=timezone.now() + timedelta(hours=i + 1))
        proof_for(f.make_order(cohort, expires_at=timezone.now() + timedelta(days=2)))
        f.make_submission(
            f.make_assignment(cohort), student, submitted_at=timezone.now() - timedelta(hours=i)
        )
        f.make_order(cohort, status="paid", paid_at=timezone.now() - timedelta(minutes=i))
        assert order.pk
        learner = f.make_student()
        f.make_enrollment(learner, cohort)
    missed_everything(cohort, student)


def test_the_home_asks_the_same_few_questions_whatever_the_data(
    founder_client, student, cohort_a, django_assert_max_num_queries
):
    home(founder_client)  # the site settings row goes into the cache (one query an hour)
    with CaptureQueriesContext(connection) as empty:
        home(founder_client)
    a_bit_of_everything(cohort_a, student, 2)
    with CaptureQueriesContext(connection) as small:
        home(founder_client)
    a_bit_of_everything(cohort_a, student, 10)
    # 13, and 2 for the setup checklist (the signup row, whether a payee account is active).
    with django_assert_max_num_queries(15), CaptureQueriesContext(connection) as large:
        response = home(founder_client)
    for name in ("follow_ups", "consultations", "transfers", "expiring", "grading", "at_risk"):
        assert len(response.context[name].rows) == 5 and response.context[name].count > 5
    assert len(large) == len(small)
    assert len(empty) == len(small) - 1  # nobody at risk: their rows are not fetched
