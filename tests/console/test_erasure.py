"""Erasure on request: the person is gone, the business numbers are not."""

from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.db.models import Count, Sum
from django.forms.models import model_to_dict

from accounts.models import User
from billing.models import Order, PaymentEvent, TransferProof, WaitlistEntry
from cohorts.models import Assessment, Attendance, Enrollment, GraduationReport, Submission
from console.models import DataAccessRequest, ErasureRecord
from crm.models import Consultation, Lead, LeadNote
from dashboard.models import WeeklyMetrics
from onepco.models import MarketingOptOut
from tests import factories as f


def business_numbers() -> dict:
    """What the weekly numbers and the books are made of."""
    return {
        "leads": list(
            Lead.objects.filter(is_spam=False).values_list("created_at", "status", "channel", "utm_campaign")
        ),
        "held": list(Consultation.objects.filter(status="held").values_list("held_at", flat=True)),
        "orders": list(Order.objects.values_list("number", "amount", "status", "paid_at", "cohort_id")),
        "enrollments": list(
            Enrollment.objects.values_list("student_id", "cohort_id", "status", "enrolled_at")
        ),
        "attendance": list(Attendance.objects.values_list("lesson_id", "student_id", "status")),
        "submissions": list(
            Submission.objects.values_list(
                "assignment_id", "student_id", "attempt", "submitted_at", "score", "passed", "graded_at"
            )
        ),
        "assessments": list(Assessment.objects.values_list("student_id", "kind", "score", "taken_at")),
        "revenue": Order.objects.aggregate(total=Sum("amount"), n=Count("id")),
    }


def weekly_numbers() -> list[dict]:
    from dashboard.selectors.numbers import weekly_numbers_range
    from onepco.weeks import Week

    numbers = weekly_numbers_range(Week.parse("2026-W40"), Week.current().next())
    assert any(week.deals for week in numbers)
    return [{**week.as_dict(), "computed_at": None} for week in numbers]


def erase(founder_client, kind: str, pk: int, **data):
    payload = {"reason": "2026-11-20 微信里要求删除", "confirm": "on", **data}
    return founder_client.post(f"/console/data-requests/erase/{kind}/{pk}/", payload)


def test_erasing_a_student_removes_who_they_are(
    founder_client, founder, buyer, student, django_capture_on_commit_callbacks
):
    submission = Submission.objects.get(student=student)
    stored_name = submission.file.name
    proof_name = TransferProof.objects.get().image.name
    with django_capture_on_commit_callbacks(execute=True):
        response = erase(founder_client, "student", student.pk)
    assert response.status_code == 302

    lead = Lead.objects.get(pk=buyer.pk)
    assert "王小明" not in lead.name and lead.phone == "" and lead.wechat == "" and lead.message == ""
    assert lead.email.endswith("@erased.invalid")
    assert LeadNote.objects.get(lead=lead, kind="note").body != "电话聊过，很积极"
    assert Consultation.objects.get(lead=lead).notes == ""
    student.refresh_from_db()
    assert (student.phone, student.wechat) == ("", "")
    user = User.objects.get(pk=student.user_id)
    assert user.email.endswith("@erased.invalid") and user.name == "" and not user.is_active
    assert not user.has_usable_password()
    submission.refresh_from_db()
    assert (
        submission.text,
        submission.link,
        submission.feedback,
        submission.file_name,
        submission.file.name,
    ) == ("", "", "", "", "")
    assert not default_storage.exists(stored_name)
    assert not default_storage.exists(proof_name)
    assert TransferProof.objects.get().image.name == "" and TransferProof.objects.get().note == ""
    order = Order.objects.get(lead=lead)
    assert "王小明" not in order.buyer_name and order.buyer_phone == "" and order.buyer_email == ""
    assert PaymentEvent.objects.get(event_id="evt_1").body == ""
    assert Assessment.objects.get(student=student, kind="entry").note == ""
    report = GraduationReport.objects.get(enrollment__student=student)
    assert not report.is_published and report.closing_feedback == ""
    assert founder_client.get(f"/graduates/{report.token}/").status_code == 404
    dump = str([model_to_dict(x) for x in [lead, student, user, submission, order]])
    for secret in ("王小明", "13800138000", "xm_wang", "xiaoming@example.com"):
        assert secret not in dump


def test_erasure_keeps_every_number_and_snapshot(founder_client, buyer, student):
    snapshot = WeeklyMetrics.objects.create(
        week="2026-W47", week_start="2026-11-16", leads=1, deals=1, revenue=Decimal("1999.00")
    )
    snapshot.refresh_from_db()
    before = business_numbers()
    snapshot_before = model_to_dict(snapshot)
    weeks_before = weekly_numbers()

    erase(founder_client, "lead", buyer.pk)

    assert business_numbers() == before
    assert weekly_numbers() == weeks_before
    snapshot.refresh_from_db()
    assert model_to_dict(snapshot) == snapshot_before


def test_erasure_is_logged_with_who_and_when_but_not_the_name(founder_client, founder, buyer, student):
    erase(founder_client, "student", student.pk)  # the learner, and the lead their checkout landed on
    record = ErasureRecord.objects.get()
    assert record.erased_by == founder
    assert f"lead #{buyer.pk}" in record.subject and f"student #{student.pk}" in record.subject
    assert record.summary["files"] == 2 and record.summary["submissions"] == 1
    assert "王小明" not in str(model_to_dict(record))
    page = founder_client.get("/console/data-requests/")
    assert f"lead #{buyer.pk}" in page.content.decode()


def test_the_erasure_needs_a_reason_and_a_confirmation(founder_client, buyer):
    response = founder_client.post(f"/console/data-requests/erase/lead/{buyer.pk}/", {"reason": ""})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"reason", "confirm"}
    assert Lead.objects.get(pk=buyer.pk).name == "王小明"
    assert not ErasureRecord.objects.exists()


def test_the_founder_finds_people_by_contact_details(founder_client, buyer, student):
    page = founder_client.get("/console/data-requests/", {"q": "13800138000"}).content.decode()
    assert f"/erase/lead/{buyer.pk}/" in page and f"/erase/student/{student.pk}/" in page
    assert "Nobody" not in page


@pytest.mark.parametrize("who", ["student_client", "outsider_client", "client"])
def test_only_the_founder_can_erase(request, who, buyer):
    client = request.getfixturevalue(who)
    response = client.post(f"/console/data-requests/erase/lead/{buyer.pk}/", {"reason": "x", "confirm": "on"})
    assert response.status_code in (302, 403)
    assert Lead.objects.get(pk=buyer.pk).name == "王小明"


def test_unknown_people_and_kinds_are_not_found(founder_client, db):
    assert founder_client.get("/console/data-requests/erase/lead/999999/").status_code == 404
    assert founder_client.get("/console/data-requests/erase/order/1/").status_code == 404


def test_the_founder_account_cannot_be_erased_here(founder_client, founder):
    me = f.make_student(user=founder)
    assert founder_client.get(f"/console/data-requests/erase/student/{me.pk}/").status_code == 404


def test_erasing_twice_changes_nothing_more(founder_client, buyer, student):
    erase(founder_client, "student", student.pk)
    first = business_numbers(), model_to_dict(Lead.objects.get(pk=buyer.pk))
    assert erase(founder_client, "student", student.pk).status_code == 302
    assert (business_numbers(), model_to_dict(Lead.objects.get(pk=buyer.pk))) == first
    assert not User.objects.get(pk=student.user_id).is_active


def test_erasing_a_lead_leaves_a_learner_of_another_address_alone(founder_client, buyer, student):
    """The lead (xiaoming@) took in a checkout by phone; the learner studies as student@. Erasing
    the lead cannot tell that it is the same person (see test_phone_squatting): the learner stays,
    for the founder to erase separately when it is."""
    erase(founder_client, "lead", buyer.pk)
    assert User.objects.get(pk=student.user_id).is_active
    assert Lead.objects.get(pk=buyer.pk).email.endswith("@erased.invalid")


def test_what_was_bought_or_asked_for_with_the_persons_address_is_erased_too(founder_client, buyer, cohort_a):
    """The e-mail download finds orders by the address they were bought with and the person's
    requests to see their data; the erasure must reach the same rows."""
    unlinked = f.make_order(cohort_a, buyer_name="王小明", buyer_email="XiaoMing@example.com", amount=1999)
    someone_else = f.make_order(cohort_a, buyer_name="李雷", buyer_email="lilei@example.com")
    DataAccessRequest.objects.create(email="lilei@example.com", expires_at=f.aware(2026, 11, 21))

    erase(founder_client, "lead", buyer.pk)

    unlinked.refresh_from_db()
    assert (unlinked.buyer_name, unlinked.buyer_email, unlinked.amount) == ("已删除的用户", "", 1999)
    assert Order.objects.get(pk=someone_else.pk).buyer_email == "lilei@example.com"
    emails = sorted(DataAccessRequest.objects.values_list("email", flat=True))
    assert emails[0].endswith("@erased.invalid") and emails[1] == "lilei@example.com"
    assert ErasureRecord.objects.get().summary["access_requests"] == 1


def test_erasure_removes_who_waited_and_who_opted_out_but_keeps_the_line(founder_client, buyer, cohort_a):
    place = WaitlistEntry.objects.create(
        cohort=cohort_a, lead=buyer, name=buyer.name, email=buyer.email, phone=buyer.phone, position=3
    )
    MarketingOptOut.objects.create(email=buyer.email)
    erase(founder_client, "lead", buyer.pk)
    place.refresh_from_db()
    assert (place.name, place.email, place.phone, place.position) == ("已删除的用户", "", "", 3)
    assert not MarketingOptOut.objects.filter(email=buyer.email).exists()
