import pytest
from django.core.exceptions import ValidationError

from crm.models import Lead, LeadTouch
from crm.normalize import phone_normalize
from crm.services import lead_capture


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("13800138000", "+8613800138000"),
        ("138 0013-8000", "+8613800138000"),
        ("+86 138 0013 8000", "+8613800138000"),
        ("008613800138000", "+8613800138000"),
        ("+1 (415) 555-0100", "+14155550100"),
        ("", ""),
    ],
)
def test_phone_numbers_are_compared_by_digits_with_a_plus_86_default(raw, expected):
    assert phone_normalize(raw) == expected


@pytest.mark.parametrize("raw", ["12345", "call me", "+86 123", "2380013800"])
def test_impossible_phone_numbers_are_refused(raw):
    with pytest.raises(ValidationError):
        phone_normalize(raw)


def test_a_repeat_signup_updates_the_lead_and_keeps_first_touch(db):
    first = lead_capture(
        name="张三", email="Zhang@Example.com", attribution={"channel": "xiaohongshu", "utm_campaign": "a"}
    )
    second = lead_capture(
        name="张三", email="zhang@example.com", phone="13800138000",
        attribution={"channel": "zhihu", "utm_campaign": "b"},
    )  # fmt: skip
    assert Lead.objects.count() == 1
    lead = Lead.objects.get()
    assert (lead.channel, lead.utm_campaign) == ("xiaohongshu", "a")
    assert lead.phone == "+8613800138000"
    assert list(lead.touches.order_by("touched_at").values_list("channel", flat=True)) == [
        "xiaohongshu",
        "zhihu",
    ]
    assert first.public_id != second.public_id


def test_spam_never_merges_into_a_real_lead(db):
    lead_capture(name="真人", email="a@example.com")
    lead_capture(name="bot", email="a@example.com", is_spam=True)
    assert Lead.objects.filter(is_spam=False).count() == 1
    assert Lead.objects.filter(is_spam=True).count() == 1
    assert LeadTouch.objects.count() == 2
