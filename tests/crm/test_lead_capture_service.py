import pytest
from django.core.exceptions import ValidationError

from crm.models import Lead, LeadTouch
from crm.normalize import phone_display, phone_normalize
from crm.services import lead_capture
from onepco.models import OutboxMessage


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


def test_a_first_signup_is_one_statement_with_its_touch_and_the_founders_email(db, django_assert_num_queries):
    with django_assert_num_queries(1):
        touch = lead_capture(name="李四", email="li@example.com", attribution={"channel": "wechat"})
    lead = Lead.objects.get()
    assert touch.lead == lead and touch.pk == lead.touches.get().pk
    assert (lead.name, lead.email, lead.channel, lead.source) == ("李四", "li@example.com", "wechat", "form")
    assert lead.created_at == lead.last_touch_at == touch.touched_at and lead.updated_at is not None
    message = OutboxMessage.objects.get()
    assert (message.job, message.args) == ("crm.jobs.lead_notify_founder", [lead.pk])


def test_a_repeat_signup_writes_no_second_lead_and_no_second_founder_email(db):
    lead_capture(name="李四", phone="13800138000")
    lead_capture(name="李四", email="li@example.com", phone="138 0013 8000")
    assert Lead.objects.count() == 1 and LeadTouch.objects.count() == 2
    assert OutboxMessage.objects.count() == 1
    assert Lead.objects.get().email == "li@example.com"


def test_an_imported_lead_e_mails_nobody(db):
    lead_capture(name="王五", email="wang@example.com", kind=LeadTouch.Kind.IMPORT)
    assert Lead.objects.get().source == "import" and not OutboxMessage.objects.exists()


@pytest.mark.parametrize(
    ("stored", "shown"),
    [("+8613800138000", "13800138000"), ("+14155550100", "+14155550100"), ("+861234", "+861234"), ("", "")],
)
def test_a_stored_phone_is_shown_back_as_a_mainland_number_was_typed(stored, shown):
    assert phone_display(stored) == shown
