"""JSON nested deeper than the parser's recursion limit: a 400 that says so, never a 500."""

import pytest

from crm.models import Lead

DEEP = 100_000  # far past Python's recursion limit (1,000)
BODIES = {
    "array": "[" * DEEP + "]" * DEEP,
    "object": '{"a":' * DEEP + "1" + "}" * DEEP,
    "inside a field": '{"name": "甲", "email": "a@example.com", "consent": true, "message": '
    + "[" * DEEP
    + "]" * DEEP
    + "}",
}


@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES.keys())
def test_a_deeply_nested_lead_body_gets_a_400_with_a_message(client, db, body):
    response = client.post(
        "/api/leads", data=body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]
    assert not Lead.objects.exists()


@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES.keys())
def test_a_deeply_nested_submission_body_gets_a_400_with_a_message(student_client, body):
    response = student_client.post(
        "/api/submissions", data=body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]
