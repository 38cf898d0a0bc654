"""The public offer: course pages, the HTML signup form, attribution across page views, thanks."""

import pytest
from django.core.files.base import ContentFile

from crm.models import Lead, LeadTouch, SignupSettings
from tests import factories as f

FORM = {"name": "张三", "phone": "13800138000", "consent": "on"}
# The form is live only with a next step on the thank-you page (tests/console/test_setup.py).
pytestmark = pytest.mark.usefixtures("signup_ready")


@pytest.fixture
def on_sale(db):
    course = f.make_course(
        slug="python", title="Python 入门", tagline="八周学会写脚本", description="## 你会学到\n\n- 变量"
    )
    return f.make_cohort(course=course, slug="python-5", name="第 5 期", sale_open=True, capacity=3)


def test_the_index_lists_cohorts_open_for_sale_with_seats_left(client, on_sale):
    closed = f.make_cohort(slug="closed", sale_open=False)
    f.make_order(on_sale, status="paid")
    response = client.get("/courses/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Python 入门" in html and "/courses/python/" in html
    assert "剩余 2 个名额" in html
    assert closed.course.title not in html
    assert 'name="consent"' in html  # the signup form is there too


def test_the_course_page_shows_dates_price_seats_and_the_form(client, on_sale):
    response = client.get("/courses/python/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "八周学会写脚本" in html and "<h2>你会学到</h2>" in html
    assert "1,999.00" in html or "1999.00" in html
    assert "剩余 3 个名额" in html
    assert on_sale.starts_on.strftime("%Y-%m-%d") in html
    assert 'href="/privacy/"' in html
    assert 'class="honeypot"' in html


def test_a_sold_out_cohort_says_so(client, on_sale):
    for _ in range(3):
        f.make_order(on_sale, status="paid")
    assert "已满" in client.get("/courses/python/").content.decode()


@pytest.mark.parametrize("slug", ["nope", "closed", "retired"])
def test_an_unknown_or_retired_course_and_a_cohort_not_on_sale_are_404(client, db, slug):
    f.make_cohort(slug="closed", sale_open=False)
    f.make_course(slug="retired", status="draft")
    assert client.get(f"/courses/{slug}/").status_code == 404


def test_a_cohort_slug_shows_its_course_page_with_that_cohort_marked(client, on_sale):
    f.make_cohort(course=on_sale.course, slug="python-6", name="第 6 期", sale_open=True)
    response = client.get("/courses/python-5/?ch=zhihu&utm_campaign=c1")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="cohort-option chosen" id="cohort-python-5"' in html and 'id="cohort-python-6"' in html
    client.post("/courses/python/", FORM)
    assert (Lead.objects.get().channel, Lead.objects.get().utm_campaign) == ("zhihu", "c1")


def test_a_course_between_cohorts_still_takes_signups(client, db):
    f.make_course(slug="later", title="以后再开")
    response = client.get("/courses/later/")
    assert response.status_code == 200
    assert "目前没有正在招生的班级" in response.content.decode()
    client.post("/courses/later/", FORM)
    assert Lead.objects.count() == 1


def test_a_course_page_lists_each_cohort_on_sale(client, on_sale):
    f.make_cohort(course=on_sale.course, slug="python-6", name="第 6 期", sale_open=True)
    f.make_cohort(course=on_sale.course, slug="python-4", name="第 4 期", sale_open=False)
    html = client.get("/courses/python/").content.decode()
    assert 'id="cohort-python-5"' in html and 'id="cohort-python-6"' in html
    assert "第 4 期" not in html


def test_form_errors_show_beside_the_fields_in_chinese(client, on_sale):
    response = client.post("/courses/python/", {"name": "", "phone": "12345"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_name_error"' in html and 'id="id_phone_error"' in html and 'id="id_consent_error"' in html
    assert "请填写姓名。" in html and "这个字段是必填项" not in html  # the field named
    assert "请同意隐私说明" in html
    assert not Lead.objects.exists()


def test_form_errors_follow_the_page_language(client, on_sale):
    client.cookies["django_language"] = "en"
    response = client.post("/courses/python/", {"name": "张三"})
    assert "Give an e-mail address or a phone number" in response.content.decode()


def test_a_signup_goes_to_the_thank_you_page(client, on_sale):
    response = client.post("/courses/python/", FORM)
    assert response.status_code == 302 and response.url == "/thanks/"
    lead = Lead.objects.get()
    assert (lead.name, lead.phone, lead.source) == ("张三", "+8613800138000", Lead.Source.FORM)
    assert lead.consent_at is not None
    assert client.get("/thanks/").status_code == 200


def test_attribution_is_kept_across_page_views_until_the_form_is_sent(client, on_sale):
    client.get(
        "/courses/python/?utm_source=xhs&utm_medium=social&utm_campaign=spring&utm_content=post-7&ch=xiaohongshu",
        HTTP_REFERER="https://www.xiaohongshu.com/explore/1",
    )
    client.get("/privacy/")
    client.get("/courses/?utm_campaign=later&ch=zhihu")  # a later tagged link does not take over
    client.get("/courses/")
    client.post("/courses/", FORM)
    lead = Lead.objects.get()
    assert (lead.channel, lead.utm_source, lead.utm_medium) == ("xiaohongshu", "xhs", "social")
    assert (lead.utm_campaign, lead.utm_content) == ("spring", "post-7")
    assert lead.landing_page.startswith("/courses/python/?utm_source=xhs")
    assert lead.referrer == "https://www.xiaohongshu.com/explore/1"
    # Sent: the next signup from this browser starts a fresh first touch.
    client.get("/courses/?ch=bilibili&utm_campaign=b1")
    client.post("/courses/", {**FORM, "phone": "13900139000", "name": "李四"})
    assert Lead.objects.get(name="李四").channel == "bilibili"


def test_a_repeat_signup_through_the_form_adds_a_touch_not_a_lead(client, on_sale):
    client.post("/courses/?ch=zhihu", FORM)
    client.get("/courses/python/?ch=wechat&utm_campaign=w1")
    client.post("/courses/python/", {**FORM, "phone": "+86 138 0013 8000", "email": "z@example.com"})
    lead = Lead.objects.get()
    assert lead.email == "z@example.com"
    assert sorted(LeadTouch.objects.values_list("channel", flat=True)) == ["wechat", "zhihu"]


def test_a_honeypot_hit_on_the_page_looks_like_success_and_is_stored_as_spam(client, on_sale):
    response = client.post("/courses/python/", {**FORM, "website": "buy-now"})
    assert response.status_code == 302
    assert Lead.objects.get().is_spam


def test_the_page_form_is_rate_limited_too(client, on_sale, settings):
    settings.LEAD_RATE_LIMIT = "1/m"
    client.post("/courses/", FORM)
    response = client.post("/courses/", {**FORM, "phone": "13900139000"})
    assert response.status_code == 429
    assert "请稍等一分钟" in response.content.decode()
    assert Lead.objects.count() == 1


def test_the_privacy_notice_says_what_why_and_how_to_delete(client, db, settings):
    settings.FOUNDER_EMAIL = "boss@example.com"
    html = client.get("/privacy/").content.decode()
    assert "隐私说明" in html and "mailto:boss@example.com" in html and "删除" in html


def test_the_thank_you_page_shows_the_next_step_configured_in_admin(client, db):
    SignupSettings.objects.all().delete()
    SignupSettings.objects.create(
        wechat_id="founder_wx",
        wechat_qr=ContentFile(b"\x89PNG fake", name="qr.png"),
        trial_booking_url="https://cal.example.com/trial",
        next_step="加我微信，发送“试听”。",
    )
    html = client.get("/thanks/").content.decode()
    assert "founder_wx" in html and "加我微信" in html and 'src="/thanks/wechat-qr"' in html
    assert "https://cal.example.com/trial" in html
    qr = client.get("/thanks/wechat-qr")
    assert qr.status_code == 200 and b"".join(qr.streaming_content) == b"\x89PNG fake"


def test_without_settings_the_thank_you_page_has_a_standard_next_step(client, db):
    response = client.get("/thanks/")
    assert response.status_code == 200
    assert "下一步" in response.content.decode()
    assert client.get("/thanks/wechat-qr").status_code == 404


def test_the_home_page_sends_prospects_to_the_courses(client, db):
    assert client.get("/").url == "/courses/"
