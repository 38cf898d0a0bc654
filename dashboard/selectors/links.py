"""The link builder's links with what each brought so far: its leads and its deals.

Attributed as docs/metrics.md attributes leads and deals to a channel and a piece of content:
a lead by its first touch (the channel, campaign and content it came with, spam never), a deal
(a paid order, whoever it belongs to) by the lead it is linked to. A link owns the leads whose
first touch carries its tags; when several links share the same tags (one post's link to two
pages), the page the lead landed on decides. Four queries however many links and leads.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import CharField, Count, F, Func, QuerySet, Sum, Value
from django.db.models.functions import Lower

from billing.models import Order
from crm.links import link_pages
from crm.models import Lead, TrackedLink
from onepco.money import money

Tags = tuple[str, str, str]  # channel (lower case), campaign, content


@dataclass
class LinkFigures:
    link: TrackedLink
    leads: int = 0
    deals: int = 0
    revenue: Decimal = Decimal("0.00")
    page_name: str = ""


def _path(field: str) -> Func:
    """The path of a kept landing page, without its query string."""
    return Func(F(field), Value("?"), Value(1), function="split_part", output_field=CharField())


def tag_expressions(prefix: str = "") -> dict[str, Func | F | Lower]:
    """What ties a lead's first touch to a link, as the names of a values() grouping: the
    channel (lower case), campaign, content and landing path of the lead behind `prefix`."""
    return {
        "tag_channel": Lower(f"{prefix}channel"),
        "tag_campaign": F(f"{prefix}utm_campaign"),
        "tag_content": F(f"{prefix}utm_content"),
        "tag_path": _path(f"{prefix}landing_page"),
    }


def _grouped(rows: QuerySet, channels: set[str], prefix: str = "") -> QuerySet:
    """Rows of the links' channels counted by tags and landing path (one row per group)."""
    rows = rows.annotate(tag_channel=Lower(f"{prefix}channel")).filter(tag_channel__in=channels)
    tags = tag_expressions(prefix)
    tags.pop("tag_channel")
    return rows.values("tag_channel", **tags)


class LinkIndex:
    """Which link owns a group of leads with the same tags: the one link carrying them, or,
    when several links share the tags (one post's link to two pages), the one whose page the
    leads landed on."""

    def __init__(self, links: Iterable[TrackedLink]):
        self.by_tags: dict[Tags, list[TrackedLink]] = defaultdict(list)
        for link in links:
            self.by_tags[(link.channel, link.campaign, link.content)].append(link)

    @property
    def channels(self) -> set[str]:
        return {tags[0] for tags in self.by_tags}

    def owner(self, row: dict) -> TrackedLink | None:
        sharing = self.by_tags.get((row["tag_channel"], row["tag_campaign"] or "", row["tag_content"] or ""))
        if not sharing:
            return None
        if len(sharing) == 1:
            return sharing[0]
        return next((link for link in sharing if link.page == row["tag_path"]), None)


def tracked_link_figures() -> list[LinkFigures]:
    """Every kept link, newest first, with its page's name, its leads, deals and the deals'
    revenue."""
    names = dict(link_pages())
    figures = [
        LinkFigures(link=link, page_name=names.get(link.page, link.page))
        for link in TrackedLink.objects.select_related("piece").order_by("-created_at", "-id")
    ]
    if not figures:
        return figures
    index = LinkIndex(item.link for item in figures)
    by_link = {item.link.pk: item for item in figures}
    channels = index.channels

    def owner(row: dict) -> LinkFigures | None:
        link = index.owner(row)
        return by_link.get(link.pk) if link is not None else None

    leads = _grouped(Lead.objects.filter(is_spam=False), channels).annotate(n=Count("pk"))
    for row in leads.order_by():
        if found := owner(row):
            found.leads += row["n"]
    deals = _grouped(Order.objects.filter(paid_at__isnull=False), channels, "lead__")
    for row in deals.annotate(n=Count("pk"), total=Sum("amount")).order_by():
        if found := owner(row):
            found.deals += row["n"]
            found.revenue = money(found.revenue + row["total"])
    return figures
