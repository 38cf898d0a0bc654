"""GET /api/dashboard/weekly, exactly as docs/api.md gives it."""

from django.utils import timezone

from dashboard.services import weekly_metrics_snapshot
from onepco.weeks import Week
from tests.dashboard.conftest import W47

URL = "/api/dashboard/weekly"


def test_anonymous_gets_401_and_a_student_403(client, student_client):
    assert client.get(URL).status_code == 401
    assert student_client.get(URL).status_code == 403


def test_a_malformed_week_is_400_with_a_field_message(founder_client):
    for bad in ("2026-47", "2026-W60", "W47", "2026-W4"):
        response = founder_client.get(URL, {"week": bad})
        assert response.status_code == 400
        assert list(response.json()["errors"]) == ["week"]


def test_a_past_week_without_snapshot_is_computed_live(business, founder_client):
    body = founder_client.get(URL, {"week": "2026-W47"}).json()
    assert body["source"] == "live"
    assert (body["week"], body["start"], body["end"]) == ("2026-W47", "2026-11-16", "2026-11-22")
    assert body["metrics"] == {
        "leads": 2,
        "consultations": 2,
        "deals": 2,
        "conversion_rate": 1.0,
        "revenue": "3000.50",
        "refund_rate": 333.33 / 3000.50,
        "attendance_rate": 4 / 6,
        "submission_rate": 4 / 5,
        "pass_rate": 2 / 3,
        "improvement_rate": 0.5,
    }
    assert body["north_star"] == {"completion_rate": 2 / 6, "effective_revenue": "666.78"}
    assert body["counts"]["revenue"] == "3000.50" and body["counts"]["refunded"] == "333.33"
    assert body["counts"]["attendance_expected"] == 6 and body["counts"]["pass_graded"] == 3


def test_a_snapshotted_week_answers_from_the_snapshot(business, founder_client):
    row = weekly_metrics_snapshot(week=W47)
    # Data arriving after the snapshot does not change the frozen answer.
    from tests import factories as f
    from tests.factories import aware

    f.make_lead(created_at=aware(2026, 11, 18))
    body = founder_client.get(URL, {"week": "2026-W47"}).json()
    assert body["source"] == "snapshot" and body["metrics"]["leads"] == 2
    assert body["computed_at"] == timezone.localtime(row.computed_at).isoformat()


def test_the_default_is_the_current_week_computed_live(founder_client):
    weekly_metrics_snapshot(week=Week.current())  # a row for a running week is never the answer
    body = founder_client.get(URL).json()
    assert body["week"] == Week.current().label and body["source"] == "live"
    assert body["metrics"]["revenue"] == "0.00" and body["metrics"]["conversion_rate"] is None
    assert body["north_star"] == {"completion_rate": None, "effective_revenue": None}


def test_the_openapi_document_describes_the_weekly_api(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    operation = paths["/api/dashboard/weekly"]["get"]
    assert {"200", "400", "401", "403"} <= set(operation["responses"])


def test_a_row_computed_before_its_week_ended_is_not_a_snapshot(business, founder_client):
    from dashboard.models import WeeklyMetrics
    from tests.factories import aware

    weekly_metrics_snapshot(week=W47)
    # As if the founder saved actions on Wednesday and the Monday snapshot has not run yet.
    WeeklyMetrics.objects.update(computed_at=aware(2026, 11, 18, 21), leads=0)
    body = founder_client.get(URL, {"week": "2026-W47"}).json()
    assert body["source"] == "live" and body["metrics"]["leads"] == 2
