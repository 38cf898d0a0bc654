"""The learner's progress chart: entry → stage → graduation scores as a small SVG line."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from cohorts.formatting import score_text

register = template.Library()

WIDTH, HEIGHT, PAD_X, PAD_TOP, PAD_BOTTOM = 340, 150, 28, 22, 30


@register.simple_tag
def progress_chart(assessments) -> SafeString:
    items = list(assessments)
    if not items:
        return format_html("")
    step = (WIDTH - 2 * PAD_X) / max(len(items) - 1, 1)
    span = HEIGHT - PAD_TOP - PAD_BOTTOM
    points = [
        (PAD_X + i * step if len(items) > 1 else WIDTH / 2, PAD_TOP + span * (1 - float(a.score) / 100), a)
        for i, a in enumerate(items)
    ]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _a in points)
    marks = format_html_join(
        "",
        '<circle class="dot" cx="{0}" cy="{1}" r="5"></circle>'
        '<text class="value" x="{0}" y="{2}" text-anchor="middle">{3}</text>'
        '<text x="{0}" y="{4}" text-anchor="middle">{5}</text>',
        (
            (f"{x:.1f}", f"{y:.1f}", f"{y - 10:.1f}", score_text(a.score), HEIGHT - 8, a.get_kind_display())
            for x, y, a in points
        ),
    )
    return format_html(
        '<svg class="chart progress-chart" viewBox="0 0 {w} {h}" role="img" aria-label="{label}">'
        '<line class="axis" x1="{px}" y1="{base}" x2="{right}" y2="{base}"></line>'
        '<polyline class="line" points="{path}"></polyline>{marks}</svg>',
        w=WIDTH, h=HEIGHT, px=PAD_X, right=WIDTH - PAD_X, base=PAD_TOP + span, path=path, marks=marks,
        label=" → ".join(f"{a.get_kind_display()} {score_text(a.score)}" for a in items),
    )  # fmt: skip
