"""The 经营看板 page: who may see it, the week picker, actions, recompute, CSV."""

import csv
import io

from crm.selectors import channel_label
from dashboard.models import WeeklyMetrics
from dashboard.services import weekly_metrics_snapshot
from onepco.models import OutboxMessage
from onepco.weeks import Week
from tests.dashboard.conftest import W47

PAGE = "/console/dashboard/"


def test_only_staff_see_the_dashboard(client, student_client, outsider_client):
    assert client.get(PAGE).status_code == 302
    assert student_client.get(PAGE).status_code == 403
    assert outsider_client.get(PAGE).status_code == 403
    assert client.get(PAGE + "history.csv").status_code == 302
    assert student_client.get(PAGE + "history.csv").status_code == 403


def test_the_page_shows_the_weeks_numbers_changes_and_definitions(business, founder_client):
    response = founder_client.get(PAGE, {"week": "2026-W47"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "2026-W46" in html and "2026-W48" in html  # previous / next
    assert "¥666.78" in html and "¥3,000.50" in html and "66.7%" in html
    assert "4 / 5" in html  # the numerator / denominator under a rate
    assert "<svg" in html and "<details" in html
    assert channel_label("xiaohongshu") in html and "xhs-tips" in html  # the channel's name


def test_an_undefined_rate_shows_a_dash(founder_client):
    html = founder_client.get(PAGE, {"week": "2026-W10"}).content.decode()
    assert "—" in html


def test_a_malformed_week_is_a_400_page(founder_client):
    assert founder_client.get(PAGE, {"week": "nonsense"}).status_code == 400


def test_the_current_week_has_no_next_week_link(founder_client):
    html = founder_client.get(PAGE, {"week": Week.current().label}).content.decode()
    assert Week.current().next().label not in html and 'rel="next"' not in html
    # The last complete week, where the page opens, links on to the running week.
    assert f'href="?week={Week.current().label}" rel="next"' in founder_client.get(PAGE).content.decode()


def test_the_founder_saves_three_actions_on_the_weeks_row(business, founder_client):
    response = founder_client.post(
        f"{PAGE}2026-W47/actions/", {"action_1": "加一场直播答疑", "action_2": "", "action_3": "回访掉队学员"}
    )
    assert response.status_code == 302
    row = WeeklyMetrics.objects.get(week="2026-W47")
    assert row.actions == ["加一场直播答疑", "回访掉队学员"]
    assert "加一场直播答疑" in founder_client.get(PAGE, {"week": "2026-W47"}).content.decode()


def test_an_action_too_long_is_a_400_with_the_field_message(business, founder_client):
    response = founder_client.post(f"{PAGE}2026-W47/actions/", {"action_1": "长" * 301})
    assert response.status_code == 400
    assert not WeeklyMetrics.objects.exists()


def test_a_student_cannot_save_actions_or_recompute(business, student_client):
    weekly_metrics_snapshot(week=W47)
    assert student_client.post(f"{PAGE}2026-W47/actions/", {"action_1": "x"}).status_code == 403
    assert student_client.post(f"{PAGE}2026-W47/recompute/").status_code == 403
    assert WeeklyMetrics.objects.get().actions == [] and not OutboxMessage.objects.exists()


def test_recompute_queues_the_snapshot_job_and_the_worker_runs_it(business, founder_client, run_jobs):
    old = weekly_metrics_snapshot(week=W47)
    response = founder_client.post(f"{PAGE}2026-W47/recompute/")
    assert response.status_code == 302
    assert "2026-W47" in founder_client.get(response["Location"]).content.decode()
    assert run_jobs() == 1
    assert WeeklyMetrics.objects.get().computed_at > old.computed_at


def test_recompute_refuses_the_running_week_and_bad_weeks(founder_client):
    assert founder_client.post(f"{PAGE}{Week.current().label}/recompute/").status_code == 400
    assert founder_client.post(f"{PAGE}2026-99/recompute/").status_code == 400
    assert not OutboxMessage.objects.exists()


def test_the_history_downloads_as_csv(business, founder_client):
    weekly_metrics_snapshot(week=W47)
    response = founder_client.get(PAGE + "history.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("week,week_start,leads") and lines[1].startswith("2026-W47,2026-11-16,2,")


def test_the_founders_actions_never_run_as_formulas_in_a_spreadsheet(business, founder_client):
    weekly_metrics_snapshot(week=W47)
    WeeklyMetrics.objects.filter(week_start=W47.start).update(
        action_1='=HYPERLINK("http://evil.example","点我")', action_2="+下线无效渠道", action_3="复盘 20:00"
    )
    response = founder_client.get(PAGE + "history.csv")
    row = next(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert row["action_1"] == '\'=HYPERLINK("http://evil.example","点我")'
    assert row["action_2"] == "'+下线无效渠道"
    assert row["action_3"] == "复盘 20:00"
    assert row["leads"] == "2"  # numbers stay numbers
