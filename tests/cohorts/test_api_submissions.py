"""POST /api/submissions, held to docs/api.md: 201 / 400 / 401 / 403 / 413."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from cohorts.models import Submission
from tests import factories as f
from tests.cohorts.files import EXE, PDF, upload

URL = "/api/submissions"


@pytest.fixture
def assignment(cohort_a):
    return f.make_assignment(cohort_a, due_at=timezone.now() + timedelta(days=1))


def post_json(client, body):
    return client.post(URL, json.dumps(body), content_type="application/json")


def test_it_answers_201_with_the_contract_fields(student_client, assignment):
    response = post_json(student_client, {"assignment": assignment.pk, "text": "我的作业"})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "assignment", "attempt", "submitted_at", "late"}
    assert (body["assignment"], body["attempt"], body["late"]) == (assignment.pk, 1, False)
    assert Submission.objects.get(pk=body["id"]).text == "我的作业"


def test_attempts_are_numbered_in_order(student_client, assignment):
    attempts = [
        post_json(student_client, {"assignment": assignment.pk, "text": str(i)}).json()["attempt"]
        for i in range(3)
    ]
    assert attempts == [1, 2, 3]


def test_multipart_with_a_file(student_client, assignment):
    response = student_client.post(URL, {"assignment": assignment.pk, "file": upload("作业.pdf", PDF)})
    assert response.status_code == 201
    assert Submission.objects.get().file_name == "作业.pdf"


def test_late_work_is_flagged(student_client, cohort_a):
    past = f.make_assignment(cohort_a, due_at=timezone.now() - timedelta(hours=2))
    assert (
        post_json(student_client, {"assignment": past.pk, "link": "https://example.com"}).json()["late"]
        is True
    )


def test_late_work_refused_answers_400_with_a_message(student_client, cohort_a):
    closed = f.make_assignment(cohort_a, due_at=timezone.now() - timedelta(hours=2), accepts_late=False)
    response = post_json(student_client, {"assignment": closed.pk, "text": "x"})
    assert response.status_code == 400
    assert response.json()["errors"]["assignment"]


@pytest.mark.parametrize(
    "body",
    [{}, {"assignment": "abc", "text": "x"}, {"text": "x"}, {"assignment": 999999, "text": "x"},
     {"assignment": "{pk}"}, {"assignment": "{pk}", "link": "not a url"}, {"assignment": "{pk}", "text": "x", "extra": 1},
     {"assignment": "{pk}", "text": ["a"]}],
)  # fmt: skip
def test_invalid_input_answers_400_with_field_errors(student_client, assignment, body):
    body = {k: (assignment.pk if v == "{pk}" else v) for k, v in body.items()}
    response = post_json(student_client, body)
    assert response.status_code == 400
    assert response.json()["errors"]
    assert not Submission.objects.exists()


def test_an_unknown_field_is_reported_beside_the_forms_own_errors(student_client, assignment):
    response = post_json(student_client, {"assignment": assignment.pk, "link": "not a url", "extra": 1})
    assert response.status_code == 400
    assert {"link", "extra"} <= set(response.json()["errors"])
    assert not Submission.objects.exists()


def test_a_renamed_executable_answers_400(student_client, assignment):
    response = student_client.post(URL, {"assignment": assignment.pk, "file": upload("homework.pdf", EXE)})
    assert response.status_code == 400
    assert response.json()["errors"]["file"]


def test_a_notebook_nested_deeper_than_any_notebook_answers_400(student_client, assignment):
    nested = b"[" * 100_000 + b"]" * 100_000
    response = student_client.post(URL, {"assignment": assignment.pk, "file": upload("deep.ipynb", nested)})
    assert response.status_code == 400
    assert response.json()["errors"]["file"]


def test_malformed_json_answers_400(student_client, assignment):
    response = student_client.post(URL, "{nope", content_type="application/json")
    assert response.status_code == 400


def test_anonymous_gets_401(client, assignment):
    response = post_json(client, {"assignment": assignment.pk, "text": "x"})
    assert response.status_code == 401
    assert response.json()["detail"]


def test_a_student_of_another_cohort_and_an_outsider_get_403(
    other_client, outsider_client, founder_client, assignment
):
    for c in (other_client, outsider_client, founder_client):
        assert post_json(c, {"assignment": assignment.pk, "text": "x"}).status_code == 403
    assert not Submission.objects.exists()


def test_a_file_over_the_limit_answers_413(student_client, assignment, settings):
    settings.UPLOAD_MAX_BYTES = 2048
    response = student_client.post(
        URL, {"assignment": assignment.pk, "file": upload("a.pdf", PDF + b"0" * 4096)}
    )
    assert response.status_code == 413
    assert response.json()["errors"]["file"]
    settings.UPLOAD_MAX_BYTES = 64
    huge = student_client.post(
        URL, {"assignment": assignment.pk, "file": upload("a.pdf", PDF + b"0" * 200_000)}
    )
    assert huge.status_code == 413
    assert not Submission.objects.exists()


def test_session_auth_needs_the_csrf_token(student, assignment):
    client = Client(enforce_csrf_checks=True)
    client.force_login(student.user)
    assert post_json(client, {"assignment": assignment.pk, "text": "x"}).status_code == 403
    client.get("/learn/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        URL, json.dumps({"assignment": assignment.pk, "text": "x"}), content_type="application/json",
        headers={"X-CSRFToken": token},
    )  # fmt: skip
    assert response.status_code == 201


def test_get_is_not_allowed(student_client):
    assert student_client.get(URL).status_code == 405


def test_the_openapi_document_describes_every_status(client):
    responses = client.get("/api/openapi.json").json()["paths"]["/api/submissions"]["post"]["responses"]
    assert set(responses) == {"201", "400", "401", "403", "413"}


def test_a_stranger_gets_403_whatever_they_send(other_client, assignment):
    response = other_client.post(URL, {"assignment": assignment.pk, "file": upload("homework.pdf", EXE)})
    assert response.status_code == 403
    assert post_json(other_client, {"assignment": assignment.pk}).status_code == 403
