"""Return on effort (渠道 ROI): what each channel and each logged piece brought against what it
cost, worked out by hand below, on the pieces page, in the dashboard's channel table and in the
weekly report.

The data sit in the weeks before the last complete one (W = that week), so the pieces page
(the last 4 weeks up to this one) and `roi_report(W)` see the same events:

piece A  xiaohongshu, published W Tue, ¥300 + 2 h × ¥200 = ¥700; link LA1 (双11 / xhs-1 → /courses/ai/)
piece B  zhihu, published W-1, no cost; link LB (zh-1)
piece C  xiaohongshu, published W-4 (before the 4 weeks), ¥100, no link
piece D  bilibili, published W Wed, ¥1000, no link
link LA2 shares LA1's tags but points at "/" and is attached to nothing.

l1  xhs-1 → /courses/ai/ (A), W Tue; consultation held; paid ¥1000 W Thu; ¥200 refunded W Fri
    (and a failed refund of ¥100)
l2  xhs-1 → / (LA2, no piece), W Wed
l3  "Xiaohongshu" xhs-1 → /courses/ai/ (A, channel matched whatever its case), W Fri; paid ¥500 W Sat
l4  spam, xhs-1 → /courses/ai/: never counts
l5  zhihu zh-1 (B), W-1 Tue; paid ¥2000 W-1 Wed
l6  xhs-1 → /courses/ai/ (A), created W-4 (before the 4 weeks); paid ¥300 W Mon

Over the 4 weeks ending with W:
A  leads 2 (l1, l3), consultations 1, deals 3 (l1, l3, l6), revenue 1800, refunded 200,
   net 1600, cost 700, per lead 350, per deal 233.33, return 1600 / 700 = 2.2857…
B  leads 1, deals 1, net 2000, cost 0: return "—"; per lead ¥0.00
C  published before the span: cost 0 in it, nothing attributed (no link)
D  cost 1000, nothing else: return 0
xiaohongshu  leads 3 (l1, l2, l3), consultations 1, deals 3, net 1600, cost 700 (A; C is older)
zhihu        leads 1, deals 1, net 2000, cost 0 (B)
bilibili     cost 1000 (D)
Best piece A, worst D (B has no cost, C none in the span).
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import ContentPiece, ContentSettings, TrackedLink
from dashboard.selectors.pages import channel_figures
from dashboard.selectors.roi import piece_picks, roi_report
from dashboard.services import weekly_report_render, weekly_report_send
from onepco.weeks import Week
from tests import factories as f
from tests.dashboard.conftest import refund

pytestmark = pytest.mark.django_db

PIECES = "/console/leads/pieces/"
DASHBOARD = "/console/dashboard/"


def at(week: Week, day: int, hour: int = 10):
    return week.start + timedelta(days=day, hours=hour)


def day_of(week: Week, day: int) -> date:
    return week.monday + timedelta(days=day)


def piece(**fields) -> ContentPiece:
    fields.setdefault("title", f"帖子 {f.seq()}")
    return ContentPiece.objects.create(**fields)


def link(**fields) -> TrackedLink:
    return TrackedLink.objects.create(**{"page": "/courses/ai/", "channel": "xiaohongshu", **fields})


@pytest.fixture
def roi(db):
    return roi_business()


def roi_business() -> dict:
    """The business of the module's docstring (the browser test builds it too)."""
    w = Week.current().previous()
    ContentSettings.objects.create(hour_value=Decimal("200"))
    a = piece(
        channel="xiaohongshu",
        title="AI 入门笔记",
        campaign="双11",
        published_on=day_of(w, 1),
        cost_money=Decimal("300"),
        cost_hours=Decimal("2"),
    )
    b = piece(channel="zhihu", title="回答：怎么转行", published_on=day_of(w.shifted(-1), 1))
    c = piece(
        channel="xiaohongshu", title="旧帖", published_on=day_of(w.shifted(-4), 0), cost_money=Decimal("100")
    )
    d = piece(channel="bilibili", title="B 站视频", published_on=day_of(w, 2), cost_money=Decimal("1000"))
    link(campaign="双11", content="xhs-1", piece=a)
    link(campaign="双11", content="xhs-1", page="/")
    link(channel="zhihu", content="zh-1", page="/", piece=b)

    cohort = f.make_cohort(price=Decimal("1000.00"))
    xhs = {"channel": "xiaohongshu", "utm_campaign": "双11", "utm_content": "xhs-1"}
    ai_page = "/courses/ai/?ch=xiaohongshu&utm_campaign=%E5%8F%8C11&utm_content=xhs-1"
    l1 = f.make_lead(created_at=at(w, 1), landing_page=ai_page, **xhs)
    f.make_consultation(l1, status="held", scheduled_at=at(w, 2))
    o1 = f.make_order(cohort, lead=l1, status="partially_refunded", paid_at=at(w, 3), amount=Decimal("1000"))
    refund(o1, "200.00", "succeeded", at(w, 4))
    refund(o1, "100.00", "failed")
    f.make_lead(created_at=at(w, 2), landing_page="/?ch=xiaohongshu", **xhs)
    l3 = f.make_lead(created_at=at(w, 4), landing_page="/courses/ai/", **{**xhs, "channel": "Xiaohongshu"})
    f.make_order(cohort, lead=l3, status="paid", paid_at=at(w, 5), amount=Decimal("500"))
    f.make_lead(created_at=at(w, 3), landing_page=ai_page, is_spam=True, **xhs)
    l5 = f.make_lead(created_at=at(w.shifted(-1), 1), channel="zhihu", utm_content="zh-1", landing_page="/")
    f.make_order(cohort, lead=l5, status="paid", paid_at=at(w.shifted(-1), 2), amount=Decimal("2000"))
    l6 = f.make_lead(created_at=at(w.shifted(-4), 1), landing_page=ai_page, **xhs)
    f.make_order(cohort, lead=l6, status="paid", paid_at=at(w, 0, 12), amount=Decimal("300"))
    return {"week": w, "a": a, "b": b, "c": c, "d": d, "cohort": cohort}


def test_the_figures_per_piece_match_the_hand_computed_ones(roi):
    report = roi_report(roi["week"], weeks=4)
    pieces = {item.piece.pk: item for item in report.pieces}
    a = pieces[roi["a"].pk].figures
    assert (a.leads, a.consultations, a.deals) == (2, 1, 3)
    assert (a.revenue, a.refunded, a.net_revenue) == (
        Decimal("1800.00"),
        Decimal("200.00"),
        Decimal("1600.00"),
    )
    assert a.cost == Decimal("700.00")
    assert (a.cost_per_lead, a.cost_per_deal) == (Decimal("350.00"), Decimal("233.33"))
    assert a.roi == pytest.approx(1600 / 700)

    b = pieces[roi["b"].pk].figures
    assert (b.leads, b.deals, b.net_revenue, b.cost) == (1, 1, Decimal("2000.00"), Decimal("0.00"))
    assert b.roi is None  # nothing spent: no return, and no division error
    assert (b.cost_per_lead, b.cost_per_deal) == (Decimal("0.00"), Decimal("0.00"))

    c = pieces[roi["c"].pk]
    assert not c.in_span and c.figures.cost == 0 and c.figures.leads == 0 and c.figures.roi is None
    d = pieces[roi["d"].pk].figures
    assert (d.cost, d.roi, d.cost_per_lead, d.cost_per_deal) == (Decimal("1000.00"), 0.0, None, None)
    assert report.hour_value == Decimal("200.00")


def test_the_figures_per_channel_count_every_lead_of_the_channel(roi):
    channels = {row.channel: row for row in roi_report(roi["week"], weeks=4).channels}
    xhs = channels["xiaohongshu"]
    assert (xhs.figures.leads, xhs.figures.consultations, xhs.figures.deals) == (3, 1, 3)
    assert (xhs.figures.net_revenue, xhs.figures.cost, xhs.pieces) == (
        Decimal("1600.00"),
        Decimal("700.00"),
        1,
    )
    assert xhs.figures.cost_per_lead == Decimal("233.33") and xhs.figures.roi == pytest.approx(1600 / 700)
    assert (channels["zhihu"].figures.net_revenue, channels["zhihu"].figures.roi) == (
        Decimal("2000.00"),
        None,
    )
    assert (channels["bilibili"].figures.cost, channels["bilibili"].figures.roi) == (Decimal("1000.00"), 0.0)
    assert list(channels) == ["zhihu", "xiaohongshu", "bilibili"]  # the most net revenue first


def test_twelve_weeks_take_in_the_older_piece_and_lead(roi):
    report = roi_report(roi["week"], weeks=12)
    pieces = {item.piece.pk: item for item in report.pieces}
    assert pieces[roi["c"].pk].in_span and pieces[roi["c"].pk].figures.cost == Decimal("100.00")
    assert pieces[roi["a"].pk].figures.leads == 3  # l6 was created in week W-4
    assert {r.channel: r for r in report.channels}["xiaohongshu"].figures.cost == Decimal("800.00")


def test_hours_are_not_costed_until_the_hourly_value_is_set(roi):
    ContentSettings.objects.update(hour_value=0)
    a = next(p for p in roi_report(roi["week"]).pieces if p.piece.pk == roi["a"].pk)
    assert a.figures.cost == Decimal("300.00")


def test_the_best_and_the_worst_piece_are_those_with_a_cost(roi):
    picks = piece_picks(roi["week"])
    assert picks.best.piece == roi["a"] and picks.worst.piece == roi["d"]
    ContentPiece.objects.filter(pk=roi["d"].pk).delete()
    picks = piece_picks(roi["week"])
    assert picks.best.piece == roi["a"] and picks.worst is None  # one piece is not also the worst


def test_the_dashboards_channel_table_has_the_cost_columns(roi):
    rows = {(r["channel"], r["content"]): r for r in channel_figures(roi["week"])}
    xhs = rows[("xiaohongshu", "xhs-1")]
    assert (xhs["leads"], xhs["consultations"], xhs["deals"], xhs["revenue"]) == (3, 1, 3, Decimal("1800.00"))
    assert (xhs["refunded"], xhs["net_revenue"], xhs["cost"]) == (
        Decimal("200.00"),
        Decimal("1600.00"),
        Decimal("700.00"),
    )
    assert (xhs["cost_per_lead"], xhs["cost_per_deal"]) == (Decimal("233.33"), Decimal("233.33"))
    assert xhs["roi"] == pytest.approx(1600 / 700)
    # D has no link: its cost sits on its channel's row without content.
    assert (rows[("bilibili", "")]["cost"], rows[("bilibili", "")]["roi"]) == (Decimal("1000.00"), 0.0)
    # The channel table and the pieces page agree: the week's rows add up to the channel's.
    week = roi_report(roi["week"], weeks=1)
    assert sum(r["leads"] for r in rows.values() if r["channel"] == "xiaohongshu") == next(
        c.figures.leads for c in week.channels if c.channel == "xiaohongshu"
    )


def test_the_dashboard_shows_the_columns_and_the_picks(roi, founder_client):
    html = founder_client.get(DASHBOARD, {"week": roi["week"].label}).content.decode()
    table = html.split('id="channels"')[1].split('id="falling-behind"')[0]
    for text in (
        "成本",
        "单条线索成本",
        "单笔成交成本",
        "回报",
        "¥700.00",
        "¥233.33",
        "2.29×",
        "¥200.00 已退款",
    ):
        assert text in table, text
    assert "AI 入门笔记" in table and "B 站视频" in table  # the best and the worst piece
    before = founder_client.get(DASHBOARD, {"week": roi["week"].shifted(-1).label}).content.decode()
    zhihu = before.split('id="channels"')[1].split("</tr>")[1]  # B's week: a piece without cost
    assert "¥2,000.00" in zhihu and "没有成本" in zhihu and 'title="' in zhihu  # says why "—"


def test_the_pieces_page_shows_the_figures(roi, founder_client):
    response = founder_client.get(PIECES)
    assert response.status_code == 200
    html = response.content.decode()
    row = html.split(f'id="piece-{roi["a"].pk}"')[1].split("</tr>")[0]
    for text in ("AI 入门笔记", "¥1,600.00", "¥700.00", "¥350.00", "¥233.33", "2.29×"):
        assert text in row, text
    zero = html.split(f'id="piece-{roi["b"].pk}"')[1].split("</tr>")[0]
    assert "没有成本" in zero and 'title="' in zero
    # C, published before the 4 weeks, brought nothing in them: hidden, counted, one tap away.
    assert f'id="piece-{roi["c"].pk}"' not in html
    assert "1 条更早发布的内容在这段时间里没有带来任何结果" in html.split('id="quiet-pieces"')[1]
    every = founder_client.get(PIECES, {"all": "1"}).content.decode()
    assert "早于这段时间发布" in every.split(f'id="piece-{roi["c"].pk}"')[1].split("</tr>")[0]
    assert f'id="piece-{roi["a"].pk}"' in every
    assert 'href="?weeks=4">只显示这段时间发布的和带来结果的内容' in every.split('id="quiet-pieces"')[1]
    assert 'href="?weeks=12&amp;all=1"' in every  # the span keeps the choice
    wide = founder_client.get(PIECES, {"weeks": "12"}).content.decode()
    assert "¥800.00" in wide.split('id="roi-channels"')[1].split("</table>")[0]


def test_the_pieces_are_listed_fifty_a_page(founder_client, db):
    week = Week.current()
    for n in range(55):
        piece(channel="weibo", title=f"微博 {n:02d}", published_on=week.monday)
    first = founder_client.get(PIECES).content.decode()
    assert first.count('id="piece-') == 50 and "微博 54" in first and "微博 04" not in first
    assert 'href="?weeks=4&amp;page=2"' in first
    second = founder_client.get(PIECES, {"page": "2"}).content.decode()
    assert second.count('id="piece-') == 5 and "微博 00" in second
    # A page past the end or not a number shows the last or the first, never an error.
    assert founder_client.get(PIECES, {"page": "99"}).content.decode().count('id="piece-') == 5
    assert founder_client.get(PIECES, {"page": "x"}).status_code == 200


def test_a_bad_span_is_a_400(founder_client, db):
    assert founder_client.get(PIECES, {"weeks": "5"}).status_code == 400


def test_the_weekly_report_names_the_best_and_the_worst_piece(roi, settings):
    _subject, text, html = weekly_report_render(week=roi["week"])
    assert "最佳内容" in text and "AI 入门笔记" in text and "2.29×" in text and "B 站视频" in text
    assert "AI 入门笔记" in html and "B 站视频" in html
    assert weekly_report_send(week=roi["week"])
    assert "AI 入门笔记" in mail.outbox[0].body


def test_the_weekly_report_says_when_no_piece_had_a_cost(db):
    _subject, text, html = weekly_report_render(week=Week.current().previous())
    assert "没有产生成本的内容" in text and "没有产生成本的内容" in html


def test_the_hourly_value_is_saved_from_the_pieces_page(founder_client, db):
    response = founder_client.post("/console/leads/pieces/hour-value/", {"hour_value": "150"})
    assert response.status_code == 302
    assert ContentSettings.current().hour_value == Decimal("150.00")
    response = founder_client.post("/console/leads/pieces/hour-value/", {"hour_value": "-5"})
    assert response.status_code == 400
    assert 'id="id_hour_value_error"' in response.content.decode()
    assert ContentSettings.objects.get().hour_value == Decimal("150.00")


@pytest.mark.parametrize("who", ["student_client", "outsider_client", "client"])
def test_wrong_users_cannot_read_the_pieces_or_set_the_hourly_value(request, who, db):
    client = request.getfixturevalue(who)
    expected = 302 if who == "client" else 403
    assert client.get(PIECES).status_code == expected
    assert client.post("/console/leads/pieces/hour-value/", {"hour_value": "99"}).status_code == expected
    assert not ContentSettings.objects.exists()


def _grow(w: Week, times: int, cohort) -> None:
    for _ in range(times):
        p = piece(
            channel="weibo", published_on=day_of(w, 1), cost_money=Decimal("10"), cost_hours=Decimal("1")
        )
        content = f"wb-{f.seq()}"
        link(channel="weibo", content=content, piece=p)
        lead = f.make_lead(
            created_at=at(w, 2), channel="weibo", utm_content=content, landing_page="/courses/ai/"
        )
        f.make_consultation(lead, status="held", scheduled_at=at(w, 3))
        order = f.make_order(cohort, lead=lead, status="paid", paid_at=at(w, 4), amount=Decimal("100"))
        refund(order, "10.00", "succeeded", at(w, 5))


@pytest.mark.parametrize("page", [PIECES, DASHBOARD])
def test_the_query_count_does_not_grow_with_pieces_links_and_leads(
    roi, founder_client, django_assert_max_num_queries, page
):
    params = {"week": roi["week"].label} if page == DASHBOARD else {"weeks": "12"}
    _grow(roi["week"], 2, roi["cohort"])
    with CaptureQueriesContext(connection) as small:
        assert founder_client.get(page, params).status_code == 200
    _grow(roi["week"], 20, roi["cohort"])
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = founder_client.get(page, params)
    assert response.status_code == 200
    if page == PIECES:
        assert len(response.context["report"].pieces) == 4 + 22


def test_the_pieces_pages_sit_under_leads_in_the_console_nav(founder_client, db):
    import re

    made = piece(channel="weibo", published_on=Week.current().monday)

    def active(path: str) -> list[str]:
        html = founder_client.get(path).content.decode()
        nav = html[html.index('<nav class="nav"') : html.index("</nav>")]
        return re.findall(r'<a href="([^"]+)" class="active">', nav)

    # Where the breadcrumb says they are (线索 ›), like the piece's own page.
    assert active(PIECES) == ["/console/leads/"]
    assert active(f"{PIECES}{made.pk}/") == ["/console/leads/"]
    assert active(DASHBOARD) == ["/console/dashboard/"]
