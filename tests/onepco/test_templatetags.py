from decimal import Decimal

from django.utils import translation

from onepco.money import from_minor_units, money, to_minor_units
from onepco.templatetags.onepco import money as money_filter
from onepco.templatetags.onepco import rate, render_markdown


def test_money_rounds_half_up_to_cents():
    assert money("2.675") == Decimal("2.68")
    assert money("2.665") == Decimal("2.67")
    assert to_minor_units(Decimal("88.88")) == 8888
    assert from_minor_units(8888) == Decimal("88.88")


def test_money_and_rates_read_well_and_undefined_rates_show_a_dash():
    with translation.override("zh-hans"):
        assert money_filter(Decimal("12345.5")) == "¥12,345.50"
        assert money_filter(None) == "—"
        assert money_filter(Decimal("9.99"), "usd") == "$9.99"
    assert rate(0.4567) == "45.7%"
    assert rate(1.25, 0) == "125%"
    assert rate(None) == "—"


def test_markdown_keeps_formatting_and_drops_anything_executable():
    html = render_markdown(
        "**作业标准**\n\n- 能运行\n\n<script>alert(1)</script>\n\n[click](javascript:alert(1)) "
        '<img src=x onerror="alert(1)"> <a href="https://example.com" onclick="x()">ok</a>'
    )
    assert "<strong>作业标准</strong>" in html and "<li>能运行</li>" in html
    assert "<script" not in html and "javascript:" not in html
    assert "onerror" not in html and "onclick" not in html
    assert 'href="https://example.com"' in html
