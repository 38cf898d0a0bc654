"""A person's right of access: they download everything about them, and only that."""

import io
import json
import zipfile

from django.core.files.base import ContentFile

from tests import factories as f


def download(client) -> zipfile.ZipFile:
    response = client.get("/account/my-data.zip")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_a_student_downloads_their_own_data_with_their_files(
    student_client, student, other_student, cohort_a, cohort_b
):
    mine = f.make_submission(
        f.make_assignment(cohort_a), student, text="我的作业", feedback="写得好", score=90, passed=True
    )
    mine.file.save("报告.pdf", ContentFile(b"%PDF mine"))
    mine.file_name = "报告.pdf"
    mine.save()
    theirs = f.make_submission(f.make_assignment(cohort_b), other_student, text="别人的作业")
    theirs.file.save("secret.pdf", ContentFile(b"%PDF theirs"))
    f.make_assessment(student, cohort_a, "entry", 42)

    archive = download(student_client)
    data = json.loads(archive.read("data.json"))
    assert data["account"]["email"] == "student@example.com"
    assert [s["text"] for s in data["submissions"]] == ["我的作业"]
    assert data["submissions"][0]["feedback"] == "写得好"
    assert [a["kind"] for a in data["assessments"]] == ["entry"]
    assert [e["cohort__name"] for e in data["enrollments"]] == ["A 期"]
    files = [n for n in archive.namelist() if n.startswith("files/")]
    assert files == [f"files/{mine.pk}-报告.pdf"]
    assert archive.read(files[0]) == b"%PDF mine"
    assert b"theirs" not in b"".join(archive.read(n) for n in archive.namelist())


def test_the_lead_and_orders_behind_an_account_are_included(student_client, student, cohort_a):
    lead = f.make_lead(email="student@example.com", channel="zhihu")
    f.make_order(cohort_a, lead=lead, user=student.user, status="paid")
    f.make_lead(email="someone-else@example.com")
    data = json.loads(download(student_client).read("data.json"))
    assert [entry["channel"] for entry in data["leads"]] == ["zhihu"]
    assert len(data["orders"]) == 1


def test_orders_bought_with_the_accounts_address_are_included(student_client, student, cohort_a):
    """A founder-made order or a checkout before the account existed names only the address."""
    f.make_order(cohort_a, buyer_name="学员甲", buyer_email="Student@Example.com")
    f.make_order(cohort_a, buyer_email="someone-else@example.com")
    data = json.loads(download(student_client).read("data.json"))
    assert [o["buyer_email"] for o in data["orders"]] == ["Student@Example.com"]


def test_graduation_reports_and_payment_proofs_are_included(student_client, student, cohort_a):
    from billing.models import TransferProof
    from cohorts.models import GraduationReport

    enrollment = student.enrollments.get(cohort=cohort_a)
    GraduationReport.objects.create(enrollment=enrollment, closing_feedback="进步很大", is_published=True)
    order = f.make_order(cohort_a, user=student.user)
    proof = TransferProof(order=order, note="已转账")
    proof.image.save("proof.png", ContentFile(b"\x89PNG mine"), save=False)
    proof.save()
    other = f.make_order(cohort_a)
    TransferProof.objects.create(order=other, image="proofs/not-mine.png")

    archive = download(student_client)
    data = json.loads(archive.read("data.json"))
    assert [r["closing_feedback"] for r in data["graduation_reports"]] == ["进步很大"]
    assert [p["note"] for p in data["transfer_proofs"]] == ["已转账"]
    proofs = [n for n in archive.namelist() if n.startswith("payment-proofs/")]
    assert len(proofs) == 1 and archive.read(proofs[0]) == b"\x89PNG mine"


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get("/account/my-data.zip")
    assert response.status_code == 302 and "login" in response["Location"]
