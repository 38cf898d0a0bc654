"""Content pieces: logged, edited and deleted in the console, with the link builder's links
attached to them (when a link is made, or later) and detached again."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils.html import escape

from crm.models import ContentPiece, Lead, TrackedLink
from tests import factories as f

pytestmark = pytest.mark.django_db

NEW = "/console/leads/pieces/new/"
GOOD = {
    "channel": "xiaohongshu",
    "campaign": "双11",
    "title": "AI 入门笔记",
    "url": "https://www.xiaohongshu.com/explore/abc",
    "published_on": "2026-11-17",
    "cost_money": "300",
    "cost_hours": "2.5",
}


@pytest.fixture
def piece(channels) -> ContentPiece:
    return ContentPiece.objects.create(channel="xiaohongshu", title="旧帖", published_on=date(2026, 11, 1))


@pytest.fixture
def course(channels):
    course = f.make_course(slug="py", title="Python 入门")
    f.make_cohort(course=course, slug="py-5", sale_open=True)
    return course


def link(**fields) -> TrackedLink:
    return TrackedLink.objects.create(**{"page": "/courses/py/", "channel": "xiaohongshu", **fields})


def test_the_founder_logs_a_piece(founder_client, channels):
    page = founder_client.get(NEW)
    assert (
        page.status_code == 200
        and ("xiaohongshu", "小红书") in page.context["form"].fields["channel"].choices
    )
    response = founder_client.post(NEW, GOOD)
    assert response.status_code == 302 and response["Location"] == "/console/leads/pieces/"
    piece = ContentPiece.objects.get()
    assert (piece.title, piece.channel, piece.published_on) == (
        "AI 入门笔记",
        "xiaohongshu",
        date(2026, 11, 17),
    )
    assert (piece.cost_money, piece.cost_hours) == (Decimal("300.00"), Decimal("2.50"))


@pytest.mark.parametrize(
    "field, value",
    [
        ("cost_money", "-1"),
        ("cost_hours", "-0.5"),
        ("url", "not a link"),
        ("published_on", "17/11/2026"),
        ("published_on", "2026-13-40"),
        ("channel", "myspace"),
        ("title", ""),
    ],
)
def test_bad_input_is_a_400_with_the_error_next_to_the_field(founder_client, channels, field, value):
    response = founder_client.post(NEW, {**GOOD, field: value})
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.content.decode()
    assert field in response.context["form"].errors
    assert not ContentPiece.objects.exists()


def test_the_founder_edits_a_piece(founder_client, piece):
    response = founder_client.post(f"/console/leads/pieces/{piece.pk}/", {**GOOD, "title": "改过的标题"})
    assert response.status_code == 302
    piece.refresh_from_db()
    assert (piece.title, piece.cost_money) == ("改过的标题", Decimal("300.00"))
    bad = founder_client.post(f"/console/leads/pieces/{piece.pk}/", {**GOOD, "cost_money": "-3"})
    assert bad.status_code == 400 and 'id="id_cost_money_error"' in bad.content.decode()
    piece.refresh_from_db()
    assert piece.cost_money == Decimal("300.00")


def test_a_piece_with_links_keeps_its_channel(founder_client, piece):
    link(piece=piece)
    response = founder_client.post(f"/console/leads/pieces/{piece.pk}/", {**GOOD, "channel": "zhihu"})
    assert response.status_code == 400 and "请先解除关联" in response.content.decode()
    piece.refresh_from_db()
    assert piece.channel == "xiaohongshu"


def test_deleting_a_piece_detaches_its_links_and_keeps_the_leads(founder_client, piece):
    kept = link(piece=piece, content="xhs-1")
    lead = f.make_lead(channel="xiaohongshu", utm_content="xhs-1", landing_page="/courses/py/")
    response = founder_client.post(f"/console/leads/pieces/{piece.pk}/delete/")
    assert response.status_code == 302
    assert not ContentPiece.objects.exists()
    kept.refresh_from_db()
    assert kept.piece is None
    assert Lead.objects.filter(pk=lead.pk).exists()


def test_a_link_is_attached_later_and_detached(founder_client, piece):
    other_channel = link(channel="zhihu")
    free = link(content="xhs-2")
    page = founder_client.get(f"/console/leads/pieces/{piece.pk}/")
    assert list(page.context["link_form"].fields["link"].queryset) == [free]  # its channel's, free
    response = founder_client.post(f"/console/leads/pieces/{piece.pk}/links/", {"link": free.pk})
    assert response.status_code == 302
    free.refresh_from_db()
    assert free.piece == piece
    assert escape(free.url) in founder_client.get(f"/console/leads/pieces/{piece.pk}/").content.decode()

    # Another channel's link, or one attached already, is refused next to the field.
    refused = founder_client.post(f"/console/leads/pieces/{piece.pk}/links/", {"link": other_channel.pk})
    assert refused.status_code == 400 and 'id="id_link_error"' in refused.content.decode()
    other_channel.refresh_from_db()
    assert other_channel.piece is None

    response = founder_client.post(f"/console/leads/pieces/{piece.pk}/links/{free.pk}/detach/")
    assert response.status_code == 302
    free.refresh_from_db()
    assert free.piece is None


def test_a_link_of_another_piece_cannot_be_detached_through_this_one(founder_client, piece):
    other = ContentPiece.objects.create(channel="xiaohongshu", title="别的", published_on=date(2026, 11, 2))
    theirs = link(piece=other)
    response = founder_client.post(f"/console/leads/pieces/{piece.pk}/links/{theirs.pk}/detach/")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.piece == other


def test_a_link_is_attached_when_it_is_made(founder_client, piece, course):
    page = founder_client.get("/console/leads/links/", {"piece": piece.pk})
    assert page.context["form"].initial == {"piece": piece.pk, "channel": "xiaohongshu", "campaign": ""}
    data = {"page": "/courses/py/", "channel": "xiaohongshu", "content": "xhs-9", "piece": piece.pk}
    response = founder_client.post("/console/leads/links/", data)
    assert response.status_code == 302
    assert TrackedLink.objects.get().piece == piece
    listed = founder_client.get("/console/leads/links/all/").content.decode()
    assert f'href="/console/leads/pieces/{piece.pk}/">旧帖</a>' in listed  # the list names its piece
    # Making the same link again for no piece leaves it attached.
    founder_client.post("/console/leads/links/", {**data, "piece": ""})
    assert TrackedLink.objects.get().piece == piece


def test_a_link_is_not_made_for_a_piece_of_another_channel(founder_client, piece, course):
    data = {"page": "/courses/py/", "channel": "zhihu", "piece": piece.pk}
    response = founder_client.post("/console/leads/links/", data)
    assert response.status_code == 400 and 'id="id_piece_error"' in response.content.decode()
    assert not TrackedLink.objects.exists()


@pytest.mark.parametrize("who", ["student_client", "outsider_client", "client"])
def test_wrong_users_are_refused_on_every_piece_view_and_nothing_changes(request, who, piece):
    client = request.getfixturevalue(who)
    expected = 302 if who == "client" else 403
    attached, free = link(piece=piece), link(content="free")
    base = f"/console/leads/pieces/{piece.pk}/"
    assert client.get(NEW).status_code == expected
    assert client.post(NEW, GOOD).status_code == expected
    assert client.get(base).status_code == expected
    assert client.post(base, {**GOOD, "title": "被改了"}).status_code == expected
    assert client.post(f"{base}links/", {"link": free.pk}).status_code == expected
    assert client.post(f"{base}links/{attached.pk}/detach/").status_code == expected
    assert client.post(f"{base}delete/").status_code == expected
    if who == "client":
        assert client.get(base)["Location"].startswith("/accounts/login/")
    assert list(ContentPiece.objects.values_list("title", flat=True)) == ["旧帖"]
    assert set(piece.links.all()) == {attached}
