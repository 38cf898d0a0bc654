"""Channels have names: the registry (code → 中文 / English name), editable next to the link
builder; every page that shows a lead's channel shows its name, and an unknown code as it is."""

import csv
import io

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template

from console.archive import instance_is_empty
from crm.models import Channel, Lead, LeadTouch, TrackedLink
from onepco.weeks import Week
from tests import factories as f
from tests.crm.conftest import seed_migration


@pytest.fixture
def leads(channels):
    return {
        "xhs": f.make_lead(name="小红书来的", channel="xiaohongshu"),
        "mp": f.make_lead(name="公众号来的", channel="wechat_mp"),
        "odd": f.make_lead(name="不明来的", channel="weibo_ads"),
        "none": f.make_lead(name="直接来的", channel=""),
    }


def _english(client):
    client.cookies["django_language"] = "en"
    return client


def test_the_registry_is_seeded_with_the_common_chinese_channels(db):
    Channel.objects.all().delete()
    seed_migration.seed(apps, None)
    names = {c.code: (c.name_zh_hans, c.name_en) for c in Channel.objects.all()}
    assert {code: zh for code, (zh, _en) in names.items()} == {
        "wechat_mp": "微信公众号", "channels": "视频号", "xiaohongshu": "小红书", "bilibili": "B站",
        "douyin": "抖音", "zhihu": "知乎", "referral": "朋友推荐", "direct": "直接访问",
    }  # fmt: skip
    assert all(en for _zh, en in names.values())


def test_the_seed_keeps_a_name_the_founder_gave_already(db):
    Channel.objects.filter(code="zhihu").update(name_zh_hans="知乎回答")
    seed_migration.seed(apps, None)
    assert Channel.objects.get(code="zhihu").name_zh_hans == "知乎回答"


def test_the_lead_list_shows_channel_names_and_keeps_an_unknown_code(founder_client, leads):
    html = founder_client.get("/console/leads/").content.decode()
    assert ">小红书<" in html and ">微信公众号<" in html and ">直接访问<" in html
    assert ">weibo_ads<" in html  # never dropped
    assert ">xiaohongshu<" not in html and ">wechat_mp<" not in html
    english = _english(founder_client).get("/console/leads/").content.decode()
    assert ">Xiaohongshu<" in english and ">WeChat Official Account<" in english and ">weibo_ads<" in english


def test_a_name_missing_in_one_language_falls_back_to_the_other_then_to_the_code(founder_client, db):
    Channel.objects.create(code="podcast", name_zh_hans="播客")
    Channel.objects.create(code="meetup", name_en="Meetup")
    Channel.objects.create(code="bare")
    for code in ("podcast", "meetup", "bare"):
        f.make_lead(channel=code)
    html = _english(founder_client).get("/console/leads/").content.decode()
    assert ">播客<" in html and ">Meetup<" in html and ">bare<" in html


def test_the_lead_page_names_the_channel_of_the_first_touch_and_of_every_signup(founder_client, leads):
    lead = leads["xhs"]
    LeadTouch.objects.create(lead=lead, channel="weibo_ads")
    html = founder_client.get(f"/console/leads/{lead.pk}/").content.decode()
    assert "<dd>小红书</dd>" in html
    assert "渠道：小红书" in html and "渠道：weibo_ads" in html
    english = _english(founder_client).get(f"/console/leads/{lead.pk}/").content.decode()
    assert "<dd>Xiaohongshu</dd>" in english and "Channel: Xiaohongshu" in english


def test_the_channel_filter_offers_names_and_the_unknown_codes_and_filters_by_code(founder_client, leads):
    response = founder_client.get("/console/leads/", {"channel": "xiaohongshu"})
    assert [lead.name for lead in response.context["leads"]] == ["小红书来的"]
    html = response.content.decode()
    assert '<option value="xiaohongshu" selected>小红书</option>' in html
    assert '<option value="weibo_ads">weibo_ads</option>' in html
    odd = founder_client.get("/console/leads/", {"channel": "weibo_ads"})
    assert [lead.name for lead in odd.context["leads"]] == ["不明来的"]
    direct = founder_client.get("/console/leads/", {"channel": "direct"})
    assert [lead.name for lead in direct.context["leads"]] == ["直接来的"]


def test_the_link_builder_offers_the_registry_and_makes_a_link_with_the_code(
    founder_client, channels, settings
):
    f.make_cohort(course=f.make_course(slug="py"), slug="py-5", sale_open=True)
    Channel.objects.filter(code="douyin").update(is_hidden=True)
    response = founder_client.get("/console/leads/links/")
    html = response.content.decode()
    assert '<option value="xiaohongshu">小红书</option>' in html  # the name, not a slug to type
    assert 'value="douyin"' not in html and 'value="direct"' not in html  # hidden
    assert 'href="/console/leads/channels/"' in html
    made = founder_client.post("/console/leads/links/", {"page": "/courses/py/", "channel": "bilibili"})
    link = TrackedLink.objects.get()
    assert made["Location"] == f"/console/leads/links/?link={link.pk}"
    assert "?ch=bilibili&utm_source=bilibili" in link.url
    hidden = founder_client.post("/console/leads/links/", {"page": "/courses/py/", "channel": "douyin"})
    assert hidden.status_code == 400 and hidden.context["form"].errors["channel"]
    assert TrackedLink.objects.count() == 1


def test_the_founder_adds_a_channel_and_its_leads_show_its_name(founder_client, leads):
    page = founder_client.get("/console/leads/channels/?code=weibo_ads")
    assert page.status_code == 200
    assert "weibo_ads" in page.content.decode()  # listed among the codes without a name
    assert page.context["form"]["code"].value() == "weibo_ads"
    response = founder_client.post(
        "/console/leads/channels/", {"code": "Weibo_Ads", "name_zh_hans": "微博广告", "name_en": "Weibo ads"}
    )
    assert response.status_code == 302
    assert Channel.objects.get(code="weibo_ads").name_zh_hans == "微博广告"
    assert ">微博广告<" in founder_client.get("/console/leads/").content.decode()
    assert (
        '<option value="weibo_ads">微博广告</option>'
        in founder_client.get("/console/leads/links/").content.decode()
    )


@pytest.mark.parametrize(
    "data, field",
    [
        ({"code": "zhihu", "name_zh_hans": "又一个知乎"}, "code"),
        ({"code": "ZHIHU", "name_zh_hans": "又一个知乎"}, "code"),
        ({"code": "wei bo", "name_zh_hans": "微博"}, "code"),
        ({"code": "weibo", "name_zh_hans": "", "name_en": ""}, "name_zh_hans"),
    ],
)
def test_a_bad_new_channel_is_refused_with_a_message_and_nothing_is_stored(
    founder_client, channels, data, field
):
    before = list(Channel.objects.values_list("code", "name_zh_hans"))
    response = founder_client.post("/console/leads/channels/", data)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert list(Channel.objects.values_list("code", "name_zh_hans")) == before


def test_the_founder_renames_and_hides_a_channel_but_its_leads_keep_the_name(founder_client, leads):
    zhihu = Channel.objects.get(code="xiaohongshu")
    response = founder_client.post(
        f"/console/leads/channels/{zhihu.pk}/",
        {
            f"c{zhihu.pk}-name_zh_hans": "小红书笔记",
            f"c{zhihu.pk}-name_en": "RED notes",
            f"c{zhihu.pk}-is_hidden": "on",
        },
    )
    assert response.status_code == 302
    zhihu.refresh_from_db()
    assert (zhihu.code, zhihu.name_zh_hans, zhihu.is_hidden) == ("xiaohongshu", "小红书笔记", True)
    assert ">小红书笔记<" in founder_client.get("/console/leads/").content.decode()
    assert 'value="xiaohongshu"' not in founder_client.get("/console/leads/links/").content.decode()
    assert Lead.objects.get(name="小红书来的").channel == "xiaohongshu"


def test_only_the_founder_reaches_the_channel_pages(client, student_client, outsider_client, channels):
    zhihu = Channel.objects.get(code="zhihu")
    data = {f"c{zhihu.pk}-name_zh_hans": "改了", "code": "evil", "name_zh_hans": "坏"}
    for who in (student_client, outsider_client):
        assert who.get("/console/leads/channels/").status_code == 403
        assert who.post("/console/leads/channels/", data).status_code == 403
        assert who.post(f"/console/leads/channels/{zhihu.pk}/", data).status_code == 403
    assert client.get("/console/leads/channels/").status_code == 302
    assert client.post(f"/console/leads/channels/{zhihu.pk}/", data).status_code == 302
    zhihu.refresh_from_db()
    assert zhihu.name_zh_hans == "知乎" and not Channel.objects.filter(code="evil").exists()


def test_the_channel_page_counts_each_channels_leads(founder_client, leads, django_assert_max_num_queries):
    founder_client.get("/console/leads/channels/")
    with django_assert_max_num_queries(6):
        response = founder_client.get("/console/leads/channels/")
    counts = {channel.code: channel.lead_count for channel, _form in response.context["rows"]}
    assert counts["xiaohongshu"] == 1 and counts["direct"] == 1 and counts["zhihu"] == 0
    assert response.context["unknown"] == [("weibo_ads", 1)]


def test_the_csv_export_keeps_the_code_and_adds_the_name(founder_client, leads):
    body = b"".join(founder_client.get("/console/leads/export.csv").streaming_content).decode("utf-8-sig")
    rows = {row["name"]: row for row in csv.DictReader(io.StringIO(body))}
    assert (rows["小红书来的"]["channel"], rows["小红书来的"]["channel_name"]) == ("xiaohongshu", "小红书")
    assert (rows["不明来的"]["channel"], rows["不明来的"]["channel_name"]) == ("weibo_ads", "weibo_ads")


def test_the_channel_label_tag_reads_the_registry_once_for_a_whole_table(channels, django_assert_num_queries):
    """What the dashboard's channel table uses: `{% channel_label c.channel %}`."""
    template = Template("{% load crm %}{% for c in rows %}{% channel_label c %}|{% endfor %}")
    with django_assert_num_queries(1):
        out = template.render(Context({"rows": ["zhihu", "bilibili", "", "weibo_ads", "ZHIHU"]}))
    assert out == "知乎|B站|直接访问|weibo_ads|知乎|"


def test_a_fresh_instance_with_only_its_seeded_channels_still_takes_an_archive(db):
    """`migrate` seeds the registry: that is no business yet, so import_all may restore into it."""
    Channel.objects.all().delete()
    seed_migration.seed(apps, None)
    assert instance_is_empty()


def test_the_dashboards_channel_table_shows_names_and_an_unknown_code(founder_client, leads):
    # The leads are this week's: the running week (the page opens on the last complete one).
    html = founder_client.get("/console/dashboard/", {"week": Week.current().label}).content.decode()
    cells = [cell.split("</strong>", 1)[0] for cell in html.split('<td class="channel-cell"><strong>')[1:]]
    assert {"小红书", "微信公众号", "weibo_ads", "直接访问"} <= set(cells), cells


def test_a_students_page_and_an_import_preview_name_the_channel(founder_client, leads):
    learner = f.make_student(lead=leads["xhs"])
    html = founder_client.get(f"/console/students/{learner.pk}/").content.decode()
    assert "<dd>小红书</dd>" in html
    upload = SimpleUploadedFile("a.csv", "name,phone,channel\n甲,13800138001,bilibili\n".encode(), "text/csv")
    preview = founder_client.post("/console/leads/import/", {"file": upload}, follow=True).content.decode()
    assert "<td>B站</td>" in preview
