"""A person without an account downloads what onepco holds for their e-mail address: they ask
on /privacy/my-data/, a 6-digit code goes to that address, the code downloads the zip.

Nothing tells a visitor whether an address is known, the code works once, for 15 minutes and
a few tries, and the founder sees every request in the console."""

import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
from django.core.checks import run_checks
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from billing.models import PaymentEvent, Refund, TransferProof
from console.models import DataAccessRequest
from crm.models import LeadNote
from onepco.models import OutboxMessage
from tests import factories as f

URL = "/privacy/my-data/"
PROSPECT = "prospect@example.com"
# Everything about the other person below: none of it may reach the prospect's zip.
STRANGER_STRINGS = (
    "赵强", "stranger@example.com", "13733334444", "赵强的备注", "赵强的咨询", "赵强的转账", "evt_stranger",
    "赵强退款",
)  # fmt: skip


@pytest.fixture
def prospect(cohort_a):
    """Signed up (with capitals in the address), talked to the founder, bought twice with the
    same address (once through a checkout that left no lead link), paid by transfer, asked for a
    refund; never had an account."""
    lead = f.make_lead(name="陈静", email="Prospect@Example.com", phone="13911112222", message="想了解课程")
    LeadNote.objects.create(lead=lead, body="预算有限，下周再联系")
    f.make_consultation(lead, notes="试听后很感兴趣")
    order = f.make_order(
        cohort_a, lead=lead, buyer_name="陈静", buyer_email=PROSPECT, buyer_phone="13911112222", status="paid"
    )
    PaymentEvent.objects.create(
        provider="stripe",
        event_id="evt_prospect",
        order=order,
        body='{"customer_email": "prospect@example.com"}',
    )
    Refund.objects.create(order=order, amount=1, reason="上课时间冲突", status="failed", out_refund_no="RF-P")
    proof = TransferProof(order=order, note="陈静的转账")
    proof.image.save("转账.png", ContentFile(b"\x89PNG prospect proof"), save=False)
    proof.save()
    f.make_order(cohort_a, buyer_name="陈静", buyer_email=PROSPECT)
    return lead


@pytest.fixture
def stranger(cohort_a):
    lead = f.make_lead(name="赵强", email="stranger@example.com", phone="13733334444")
    LeadNote.objects.create(lead=lead, body="赵强的备注")
    f.make_consultation(lead, notes="赵强的咨询")
    order = f.make_order(cohort_a, lead=lead, buyer_name="赵强", buyer_email="stranger@example.com")
    PaymentEvent.objects.create(provider="stripe", event_id="evt_stranger", order=order, body="{}")
    Refund.objects.create(order=order, amount=1, reason="赵强退款", status="failed", out_refund_no="RF-S")
    proof = TransferProof(order=order, note="赵强的转账")
    proof.image.save("stranger.png", ContentFile(b"\x89PNG stranger proof"), save=False)
    proof.save()
    return lead


def ask(client, email: str = PROSPECT, **extra):
    return client.post(URL, {"email": email}, **extra)


def code_in(mail) -> str:
    return re.search(r"\b(\d{6})\b", mail.body).group(1)


def wrong(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


def as_zip(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment")
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


@pytest.fixture
def code_page(client, run_jobs, mailoutbox):
    """Ask for the prospect's code: (the code page's URL, the code e-mailed)."""

    def asked(email: str = PROSPECT) -> tuple[str, str]:
        response = ask(client, email)
        assert response.status_code == 302
        run_jobs()
        return response["Location"], code_in(mailoutbox[-1])

    return asked


def all_bytes(archive: zipfile.ZipFile) -> bytes:
    return b"".join(archive.read(name) for name in archive.namelist())


# --- asking ------------------------------------------------------------------------------


def test_the_privacy_notice_links_to_the_request_page_and_a_made_up_code_page_is_not_found(client, db):
    html = client.get("/privacy/").content.decode()
    assert f'href="{URL}"' in html
    page = client.get(URL)
    assert page.status_code == 200
    assert "下载我的数据" in page.content.decode()
    assert client.get(f"{URL}no-such-token/").status_code == 404


def test_known_and_unknown_addresses_get_the_same_answer_and_only_a_known_one_a_code(
    client, prospect, run_jobs, mailoutbox
):
    known = ask(client, PROSPECT)
    unknown = ask(client, "nobody@example.com")

    assert known.status_code == unknown.status_code == 302
    pages = []
    for response, email in ((known, PROSPECT), (unknown, "nobody@example.com")):
        page = client.get(response["Location"])
        assert page.status_code == 200
        token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
        html = page.content.decode().replace(token, "TOKEN").replace(email, "EMAIL")
        pages.append(re.sub(r"[A-Za-z0-9]{64}", "CSRF", html))
    assert pages[0] == pages[1]
    assert "如果我们保存了 <strong>EMAIL</strong> 的数据" in pages[0]
    # The same work behind both answers: a request and a follow-up job each, nothing sent yet.
    assert DataAccessRequest.objects.count() == 2 and OutboxMessage.objects.count() == 2
    assert mailoutbox == []

    run_jobs()

    assert [mail.to for mail in mailoutbox] == [[PROSPECT]]
    assert "验证码" in mailoutbox[0].subject
    code = code_in(mailoutbox[0])
    assert known["Location"] in mailoutbox[0].body
    stored = DataAccessRequest.objects.get(email=PROSPECT)
    assert code not in stored.code_hash and len(stored.code_hash) == 64
    assert stored.expires_at - stored.created_at == timedelta(minutes=15)
    assert DataAccessRequest.objects.get(email="nobody@example.com").code_hash == ""


def test_an_address_written_with_capitals_and_spaces_is_the_same_address(client, prospect, code_page):
    url, code = code_page("  PROSPECT@example.COM ")
    assert DataAccessRequest.objects.get().email == PROSPECT
    data = json.loads(as_zip(client.post(url, {"code": code})).read("data.json"))
    assert [lead["name"] for lead in data["leads"]] == ["陈静"]


def test_a_malformed_address_is_an_error_beside_the_field_and_asks_nothing(client, db):
    response = ask(client, "not-an-address")
    assert response.status_code == 400
    assert response.context["form"].errors["email"]
    assert 'id="id_email_error"' in response.content.decode()
    assert DataAccessRequest.objects.count() == 0 and OutboxMessage.objects.count() == 0


def test_the_code_e_mail_is_in_the_language_of_the_page(client, prospect, run_jobs, mailoutbox):
    client.post("/i18n/setlang/", {"language": "en", "next": URL})
    response = ask(client)
    assert "If we hold data for" in client.get(response["Location"]).content.decode()
    run_jobs()
    assert "code" in mailoutbox[0].subject and "验证码" not in mailoutbox[0].body


# --- the download ------------------------------------------------------------------------


def test_the_right_code_downloads_that_persons_data_and_nobody_elses(client, prospect, stranger, code_page):
    url, code = code_page()

    archive = as_zip(client.post(url, {"code": code}))

    data = json.loads(archive.read("data.json"))
    assert data["account"] is None and data["student"] is None
    assert [(lead["name"], lead["message"]) for lead in data["leads"]] == [("陈静", "想了解课程")]
    assert [touch["lead"] for touch in data["lead_touches"]] == [prospect.pk]
    assert [note["body"] for note in data["lead_notes"]] == ["预算有限，下周再联系"]
    assert [c["notes"] for c in data["consultations"]] == ["试听后很感兴趣"]
    assert [(o["buyer_name"], o["buyer_email"]) for o in data["orders"]] == [("陈静", PROSPECT)] * 2
    assert [(e["event_id"], e["body"]) for e in data["payment_events"]] == [
        ("evt_prospect", '{"customer_email": "prospect@example.com"}')
    ]
    assert [r["reason"] for r in data["refunds"]] == ["上课时间冲突"]
    assert [p["note"] for p in data["transfer_proofs"]] == ["陈静的转账"]
    proofs = [name for name in archive.namelist() if name.startswith("payment-proofs/")]
    assert len(proofs) == 1 and archive.read(proofs[0]) == b"\x89PNG prospect proof"
    assert [r["email"] for r in data["access_requests"]] == [PROSPECT]
    everything = all_bytes(archive)
    assert [s for s in STRANGER_STRINGS if s.encode() in everything] == []
    assert b"stranger proof" not in everything
    readme = archive.read("README.txt").decode()
    for section in ("线索", "备注", "咨询", "订单", "付款通知", "退款", "转账凭证", "payment-proofs/"):
        assert section in readme
    assert DataAccessRequest.objects.get().downloaded_at is not None


def test_an_account_with_that_address_gets_the_same_as_its_signed_in_download(
    client, student, cohort_a, code_page
):
    lead = f.make_lead(email="student@example.com", channel="zhihu")
    LeadNote.objects.create(lead=lead, body="学员甲的备注")
    f.make_order(cohort_a, lead=lead, user=student.user, status="paid")
    f.make_submission(f.make_assignment(cohort_a), student, text="我的作业")
    signed_in_client = Client()
    signed_in_client.force_login(student.user)
    url, code = code_page("student@example.com")

    by_email = json.loads(as_zip(client.post(url, {"code": code})).read("data.json"))
    signed_in = json.loads(as_zip(signed_in_client.get("/account/my-data.zip")).read("data.json"))

    assert by_email["account"]["email"] == "student@example.com"
    assert [s["text"] for s in by_email["submissions"]] == ["我的作业"]
    assert [n["body"] for n in by_email["lead_notes"]] == ["学员甲的备注"]
    # The request itself is the one line that differs: downloaded, then shown downloaded.
    assert {k: v for k, v in by_email.items() if k != "access_requests"} == {
        k: v for k, v in signed_in.items() if k != "access_requests"
    }


# --- wrong, expired, used, too many ------------------------------------------------------


def test_a_wrong_code_is_an_error_beside_the_field_and_the_right_one_still_works(client, prospect, code_page):
    url, code = code_page()

    response = client.post(url, {"code": wrong(code)})

    assert response.status_code == 400
    assert response.context["form"].errors["code"]
    html = response.content.decode()
    field = html[html.index('id="field-code"') :]
    assert "验证码不正确" in field[: field.index("</div>")]
    assert DataAccessRequest.objects.get().downloaded_at is None
    as_zip(client.post(url, {"code": code}))


def test_what_is_not_six_digits_is_refused_without_using_a_try(client, prospect, code_page):
    url, code = code_page()
    for typed in ("", "12345", "abcdef", "1234567"):
        response = client.post(url, {"code": typed})
        assert response.status_code == 400 and response.context["form"].errors["code"]
    assert DataAccessRequest.objects.get().attempts == 0
    as_zip(client.post(url, {"code": f" {code[:3]} {code[3:]} "}))  # as copied from the e-mail


def test_an_expired_code_says_so_and_links_to_ask_again(client, prospect, code_page):
    url, code = code_page()
    DataAccessRequest.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = client.post(url, {"code": code})

    assert response.status_code == 410
    html = response.content.decode()
    assert "验证码已过期" in html and f'href="{URL}"' in html
    assert DataAccessRequest.objects.get().downloaded_at is None


def test_a_code_works_once(client, prospect, code_page):
    url, code = code_page()
    as_zip(client.post(url, {"code": code}))

    again = client.post(url, {"code": code})

    assert again.status_code == 410
    html = again.content.decode()
    assert "验证码已使用过" in html and f'href="{URL}"' in html


def test_too_many_wrong_codes_kill_the_code(client, prospect, code_page):
    url, code = code_page()
    answers = [client.post(url, {"code": wrong(code)}) for _ in range(5)]

    assert [r.status_code for r in answers] == [400, 400, 400, 400, 410]
    assert "还可以再试 1 次" in answers[3].content.decode()
    assert "错误次数过多" in answers[4].content.decode()
    right = client.post(url, {"code": code})
    assert right.status_code == 410 and "错误次数过多" in right.content.decode()
    assert f'href="{URL}"' in right.content.decode()
    assert DataAccessRequest.objects.get().downloaded_at is None


def test_a_new_request_sends_a_new_code_and_the_old_one_stays_for_its_own_page(client, prospect, code_page):
    first_url, first_code = code_page()
    second_url, second_code = code_page()
    assert first_url != second_url
    if first_code != second_code:
        assert client.post(second_url, {"code": first_code}).status_code == 400
    as_zip(client.post(second_url, {"code": second_code}))


# --- rate limits -------------------------------------------------------------------------


def test_requests_for_one_address_are_limited_from_any_network(
    client, prospect, settings, run_jobs, mailoutbox
):
    settings.DATA_ACCESS_EMAIL_RATE_LIMIT = "2/h"
    codes = [ask(client, PROSPECT, REMOTE_ADDR=f"198.51.100.{i}").status_code for i in range(3)]

    assert codes == [302, 302, 429]
    limited = ask(client, PROSPECT.upper(), REMOTE_ADDR="198.51.100.9")
    assert limited.status_code == 429
    assert "请求太频繁" in limited.content.decode()
    assert DataAccessRequest.objects.count() == 2
    run_jobs()
    assert len(mailoutbox) == 2


def test_requests_from_one_network_are_limited(client, db, settings):
    settings.DATA_ACCESS_RATE_LIMIT = "2/h"
    codes = [ask(client, f"person{i}@example.com").status_code for i in range(3)]
    assert codes == [302, 302, 429]
    assert ask(client, "person9@example.com", REMOTE_ADDR="203.0.113.5").status_code == 302
    assert DataAccessRequest.objects.count() == 3


def test_malformed_data_access_rates_stop_the_start(settings):
    settings.DATA_ACCESS_RATE_LIMIT = "10/min"
    assert "console.E001" in [m.id for m in run_checks()]
    settings.DATA_ACCESS_RATE_LIMIT = "10/h"
    assert "console.E001" not in [m.id for m in run_checks()]


# --- the founder's log -------------------------------------------------------------------


def test_the_founder_sees_every_access_request_in_the_log_and_a_student_does_not(
    client, founder_client, student_client, prospect, code_page, django_assert_max_num_queries
):
    url, code = code_page()
    as_zip(client.post(url, {"code": code}))
    ask(client, "nobody@example.com")
    for i in range(5):
        ask(client, f"more{i}@example.com", REMOTE_ADDR=f"192.0.2.{i}")

    with django_assert_max_num_queries(8):
        response = founder_client.get("/console/data-requests/")

    html = response.content.decode()
    log = html[html.index("查阅记录") :]
    assert PROSPECT in log and "已下载" in log
    assert "nobody@example.com" in log and "等待发送验证码" in log
    assert "more4@example.com" in log
    assert student_client.get("/console/data-requests/").status_code == 403


def test_the_log_says_when_nothing_was_held_or_the_code_went_unused(
    client, founder_client, prospect, run_jobs
):
    ask(client, "nobody@example.com")
    ask(client, PROSPECT)
    run_jobs()
    DataAccessRequest.objects.filter(email=PROSPECT).update(expires_at=timezone.now())
    html = founder_client.get("/console/data-requests/").content.decode()
    assert "未保存该地址的数据" in html and "过期未使用" in html
