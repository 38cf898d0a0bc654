"""Return on effort (渠道 ROI): what each channel and each logged piece of content brought over a
span of weeks, against what it cost.

The figures are the dashboard's channel table's, over more weeks (docs/metrics.md): leads
created in the span (spam never), consultations held in it (a spam lead's never), deals (orders
paid in it, whoever they belong to) and their revenue, less the succeeded refunds paid back in
the span (net revenue), each counted under the first touch of the lead behind it. A lead counts
for a piece through the link builder's link it first came through (`LinkIndex`); a deal and a
refund through its order's lead.

A piece's cost is its money plus its hours × the founder's hourly value, counted in the span
that holds its publish date, like any other event. Cost per lead and per deal are "—" without
leads or deals; the return (net revenue ÷ cost) is "—" without a cost, never an error.

Every answer is a few grouped queries, however many pieces, links and leads there are.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, F, QuerySet, Sum
from django.db.models.functions import Lower

from billing.models import Order, Refund
from crm.models import Consultation, ContentPiece, ContentSettings, Lead, TrackedLink
from dashboard.selectors.links import LinkIndex, tag_expressions
from onepco.money import money
from onepco.weeks import Week

ZERO = Decimal("0.00")
ROI_SPANS = (4, 12)  # weeks the founder can choose from

Key = tuple[str, ...]
Grouping = Callable[[str], dict]  # lead-field prefix → {alias: expression}


@dataclass
class Figures:
    leads: int = 0
    consultations: int = 0
    deals: int = 0
    revenue: Decimal = ZERO
    refunded: Decimal = ZERO
    cost: Decimal = ZERO

    def add(self, other: "Figures") -> None:
        self.leads += other.leads
        self.consultations += other.consultations
        self.deals += other.deals
        self.revenue = money(self.revenue + other.revenue)
        self.refunded = money(self.refunded + other.refunded)
        self.cost = money(self.cost + other.cost)

    @property
    def net_revenue(self) -> Decimal:
        return money(self.revenue - self.refunded)

    @property
    def cost_per_lead(self) -> Decimal | None:
        return money(self.cost / self.leads) if self.leads else None

    @property
    def cost_per_deal(self) -> Decimal | None:
        return money(self.cost / self.deals) if self.deals else None

    @property
    def roi(self) -> float | None:
        """Net revenue ÷ cost, unrounded; None when nothing was spent (shown as "—")."""
        return float(self.net_revenue / self.cost) if self.cost else None

    @property
    def is_empty(self) -> bool:
        return not (
            self.leads or self.consultations or self.deals or self.revenue or self.refunded or self.cost
        )


# --- the four grouped queries ----------------------------------------------------------------


def _key(row: dict, aliases: list[str]) -> Key:
    return tuple(row[alias] or "" for alias in aliases)


def attributed_figures(
    start: datetime, end: datetime, grouping: Grouping, *, channels: set[str] | None = None
) -> dict[Key, Figures]:
    """Leads, consultations, deals, revenue and refunds of [start, end) grouped by what
    `grouping` makes of the lead behind each row (only the leads of `channels`, lower case,
    when given): four queries."""
    table: dict[Key, Figures] = {}
    aliases = list(grouping(""))

    def rows(queryset: QuerySet, prefix: str, **totals) -> list[dict]:
        if channels is not None:
            queryset = queryset.alias(of_channel=Lower(f"{prefix}channel")).filter(of_channel__in=channels)
        return list(queryset.values(**grouping(prefix)).annotate(**totals).order_by())

    def entry(row: dict) -> Figures:
        return table.setdefault(_key(row, aliases), Figures())

    leads = Lead.objects.filter(is_spam=False, created_at__gte=start, created_at__lt=end)
    for row in rows(leads, "", n=Count("pk")):
        entry(row).leads += row["n"]
    held = Consultation.objects.filter(
        status=Consultation.Status.HELD, held_at__gte=start, held_at__lt=end, lead__is_spam=False
    )
    for row in rows(held, "lead__", n=Count("pk")):
        entry(row).consultations += row["n"]
    paid = Order.objects.filter(paid_at__gte=start, paid_at__lt=end)
    for row in rows(paid, "lead__", n=Count("pk"), total=Sum("amount")):
        found = entry(row)
        found.deals += row["n"]
        found.revenue = money(found.revenue + row["total"])
    refunds = Refund.objects.filter(
        status=Refund.Status.SUCCEEDED, refunded_at__gte=start, refunded_at__lt=end
    )
    for row in rows(refunds, "order__lead__", total=Sum("amount")):
        found = entry(row)
        found.refunded = money(found.refunded + row["total"])
    return table


def by_channel(prefix: str) -> dict:
    return {"key_channel": Lower(f"{prefix}channel")}


def by_channel_and_content(prefix: str) -> dict:
    return {"key_channel": Lower(f"{prefix}channel"), "key_content": F(f"{prefix}utm_content")}


# --- costs -----------------------------------------------------------------------------------


def hour_value() -> Decimal:
    return ContentSettings.current().hour_value


def piece_cost(piece: ContentPiece, value: Decimal) -> Decimal:
    return money(piece.cost_money + piece.cost_hours * value)


def _published_in(first: Week, last: Week) -> dict:
    return {"published_on__gte": first.monday, "published_on__lte": last.sunday}


# --- per piece and per channel ---------------------------------------------------------------


@dataclass
class PieceFigures:
    piece: ContentPiece
    figures: Figures = field(default_factory=Figures)
    link_count: int = 0
    # The content tag of its first link: the dashboard's channel table shows its cost there.
    content: str = ""
    hour_value: Decimal = ZERO
    # Whether its publish date lies in the span (else its cost counts in another span).
    in_span: bool = False

    @property
    def counts_in_span(self) -> bool:
        """Published in the span, or brought something in it (the pieces page lists these)."""
        return self.in_span or not self.figures.is_empty


@dataclass
class ChannelFigures:
    channel: str
    figures: Figures = field(default_factory=Figures)
    pieces: int = 0


@dataclass
class RoiReport:
    first: Week
    last: Week
    weeks: int
    hour_value: Decimal
    channels: list[ChannelFigures]
    pieces: list[PieceFigures]


@dataclass
class PiecePicks:
    """The best and the worst piece of a span by return, among the pieces with a cost in it
    (worst is None when only one piece had a cost)."""

    first: Week
    last: Week
    best: PieceFigures | None
    worst: PieceFigures | None


def piece_picks_of(first: Week, last: Week, pieces: list[PieceFigures]) -> PiecePicks:
    costed = [p for p in pieces if p.figures.cost]
    ranked = sorted(
        costed, key=lambda p: (-(p.figures.roi or 0), -p.piece.published_on.toordinal(), p.piece.pk)
    )
    return PiecePicks(
        first=first,
        last=last,
        best=ranked[0] if ranked else None,
        worst=ranked[-1] if len(ranked) > 1 else None,
    )


PICKS_WEEKS = 4  # the weekly report's best and worst piece: of the last four weeks


def span_pieces(last: Week, *, weeks: int = PICKS_WEEKS) -> tuple[Week, Week, list[PieceFigures]]:
    """The pieces published in the `weeks` weeks ending with `last`, with their figures."""
    first, last = _span(last, weeks)
    return first, last, piece_figures(first, last, published_in_span=True)


def piece_picks(last: Week, *, weeks: int = PICKS_WEEKS) -> PiecePicks:
    """The best and worst piece of the `weeks` weeks ending with `last` (the weekly report's)."""
    return piece_picks_of(*span_pieces(last, weeks=weeks))


def _span(last: Week, weeks: int) -> tuple[Week, Week]:
    return last.shifted(-(weeks - 1)), last


def piece_figures(
    first: Week,
    last: Week,
    *,
    value: Decimal | None = None,
    published_in_span: bool = False,
    with_figures: bool = True,
) -> list[PieceFigures]:
    """Every piece (only those published in the span, with `published_in_span`: the ones with
    a cost in it), latest published first, with what it brought in the span and its cost when
    published in it. Queries: pieces; then, when there are any, the settings row and the links;
    then, `with_figures` and when a piece has a link, the four groupings."""
    found = ContentPiece.objects.order_by("-published_on", "-id")
    if published_in_span:
        found = found.filter(**_published_in(first, last))
    pieces = {piece.pk: PieceFigures(piece=piece) for piece in found}
    if not pieces:
        return []
    value = hour_value() if value is None else value
    for item in pieces.values():
        piece = item.piece
        item.in_span = first.monday <= piece.published_on <= last.sunday
        item.hour_value = value
        if item.in_span:
            item.figures.cost = piece_cost(piece, value)
    # Every link, attached or not: which one owns a lead depends on the links sharing its tags.
    links = list(
        TrackedLink.objects.order_by("created_at", "id").only(
            "page", "channel", "campaign", "content", "piece_id"
        )
    )
    for link in links:
        if link.piece_id is not None and link.piece_id in pieces:
            owned = pieces[link.piece_id]
            owned.link_count += 1
            if owned.link_count == 1:
                owned.content = link.content
    if not with_figures or not any(item.link_count for item in pieces.values()):
        return list(pieces.values())
    index = LinkIndex(links)
    aliases = list(tag_expressions(""))
    grouped = attributed_figures(first.start, last.end, tag_expressions, channels=index.channels)
    for key, figures in grouped.items():
        owner = index.owner(dict(zip(aliases, key, strict=True)))
        if owner is not None and owner.piece_id is not None and owner.piece_id in pieces:
            pieces[owner.piece_id].figures.add(figures)
    return list(pieces.values())


def channel_figures_for(first: Week, last: Week, pieces: list[PieceFigures]) -> list[ChannelFigures]:
    """Every channel with leads, deals, refunds or a piece's cost in the span (leads by their
    first touch, whether a piece's link brought them or not), most net revenue first."""
    table: dict[str, ChannelFigures] = {}
    for (channel,), figures in attributed_figures(first.start, last.end, by_channel).items():
        table.setdefault(channel, ChannelFigures(channel=channel)).figures.add(figures)
    for item in pieces:
        if item.in_span:
            row = table.setdefault(item.piece.channel, ChannelFigures(channel=item.piece.channel))
            row.figures.cost = money(row.figures.cost + item.figures.cost)
            row.pieces += 1
    return sorted(
        table.values(), key=lambda r: (-r.figures.net_revenue, -r.figures.leads, -r.figures.cost, r.channel)
    )


def roi_report(last: Week, *, weeks: int = 4) -> RoiReport:
    """Per channel and per piece, over the `weeks` weeks ending with `last`."""
    first, last = _span(last, weeks)
    value = hour_value()
    pieces = piece_figures(first, last, value=value)
    return RoiReport(
        first=first,
        last=last,
        weeks=weeks,
        hour_value=value,
        channels=channel_figures_for(first, last, pieces),
        pieces=pieces,
    )


def week_costs(week: Week, pieces: list[PieceFigures] | None = None) -> list[tuple[Key, Decimal]]:
    """(channel, content) and cost of each piece published in the week, for the dashboard's
    channel table: a piece's cost sits on the row of its links' content tag (its first link's,
    when they carry several; no content without a link). From `pieces` when given (those of a
    span holding the week), else three queries."""
    if pieces is None:
        pieces = piece_figures(week, week, published_in_span=True, with_figures=False)
    return [
        ((item.piece.channel, item.content), piece_cost(item.piece, item.hour_value))
        for item in pieces
        if week.monday <= item.piece.published_on <= week.sunday
    ]
