"""The link builder keeps its links, each with a printable QR code, and lists them with the
leads and deals they brought (attributed as docs/metrics.md attributes them)."""

import io

import pytest
from django.utils import timezone
from PIL import Image

from billing.models import Order
from crm.links import QR_BORDER, QR_MIN_PIXELS, qr_matrix
from crm.models import TrackedLink
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(channels):
    course = f.make_course(slug="py", title="Python 入门")
    f.make_cohort(course=course, slug="py-5", sale_open=True)
    return course


def make_link(client, **data) -> TrackedLink:
    data = {"page": "/courses/py/", "channel": "xiaohongshu", **data}
    response = client.post("/console/leads/links/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return TrackedLink.objects.get(pk=response["Location"].rsplit("=", 1)[1])


def test_the_builder_offers_the_registrys_names_and_the_pages(founder_client, course):
    form = founder_client.get("/console/leads/links/").context["form"]
    assert ("xiaohongshu", "小红书") in form.fields["channel"].choices
    assert ("/courses/", "首页：全部课程") in form.fields["page"].choices
    assert ("/courses/py/", "Python 入门") in form.fields["page"].choices
    assert form.fields["campaign"].required is False and form.fields["content"].required is False


def test_a_link_is_kept_and_making_it_again_does_not_duplicate_it(founder_client, course, settings):
    settings.SITE_URL = "https://school.example.com"
    first = make_link(founder_client, campaign="双１１ ", content="第 7 篇")
    again = make_link(founder_client, campaign="双11", content="第 7 篇", label="双11 海报")
    assert first.pk == again.pk and TrackedLink.objects.count() == 1
    assert (again.channel, again.campaign, again.content, again.label) == (
        "xiaohongshu",
        "双11",
        "第 7 篇",
        "双11 海报",
    )
    assert again.url == (
        "https://school.example.com/courses/py/?ch=xiaohongshu&utm_source=xiaohongshu"
        "&utm_campaign=%E5%8F%8C11&utm_content=%E7%AC%AC+7+%E7%AF%87"
    )
    page = founder_client.get(f"/console/leads/links/?link={first.pk}").content.decode()
    assert again.url.replace("&", "&amp;") in page
    assert f'src="/console/leads/links/{first.pk}/qr.png"' in page
    other_page = make_link(founder_client, page="/courses/", campaign="双11", content="第 7 篇")
    assert other_page.pk != first.pk


@pytest.mark.parametrize(
    "data, field",
    [
        ({"page": "/courses/py/", "channel": "made_up"}, "channel"),
        ({"page": "/courses/py/", "channel": ""}, "channel"),
        ({"page": "/admin/", "channel": "xiaohongshu"}, "page"),
        ({"page": "/courses/py/", "channel": "xiaohongshu", "campaign": "x" * 201}, "campaign"),
    ],
)
def test_a_bad_link_is_refused_beside_its_field(founder_client, course, data, field):
    response = founder_client.post("/console/leads/links/", data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not TrackedLink.objects.exists()


@pytest.mark.parametrize("who", ["anonymous", "student", "outsider"])
def test_only_the_founder_makes_lists_and_downloads_links(
    who, client, student_client, outsider_client, founder_client, course
):
    link = make_link(founder_client)
    visitor = {"anonymous": client, "student": student_client, "outsider": outsider_client}[who]
    for url in (
        "/console/leads/links/",
        "/console/leads/links/all/",
        f"/console/leads/links/{link.pk}/qr.png",
    ):
        response = visitor.get(url)
        assert response.status_code in (302, 403, 404), url
        assert response.get("Content-Type", "").startswith("text/html") or response.status_code == 302
    response = visitor.post("/console/leads/links/", {"page": "/courses/", "channel": "bilibili"})
    assert response.status_code in (302, 403, 404)
    assert TrackedLink.objects.count() == 1


def test_the_qr_code_is_a_printable_png_of_the_link(founder_client, course, settings):
    settings.SITE_URL = "https://school.example.com"
    link = make_link(founder_client, content="poster-1", label="地铁海报")
    response = founder_client.get(f"/console/leads/links/{link.pk}/qr.png?download=1")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == f'attachment; filename="qr-xiaohongshu-{link.pk}.png"'
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG"
    image.load()
    width, height = image.size
    assert width >= QR_MIN_PIXELS and height > width  # the label under the code
    # Read the code back: each module's centre in the image is the matrix of the link's URL.
    matrix = qr_matrix(link.url)
    box = width // len(matrix)
    assert box * len(matrix) == width
    seen = [
        [image.getpixel((x * box + box // 2, y * box + box // 2)) < 128 for x in range(len(matrix))]
        for y in range(len(matrix))
    ]
    assert seen == matrix
    assert not any(matrix[0]) and not any(row[0] for row in matrix)  # the quiet zone is white
    assert all(not any(row[:QR_BORDER]) for row in matrix)
    assert any(image.getpixel((x, y)) < 128 for x in range(width) for y in range(width, height, 7))  # a label


def leads_and_deals(founder_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = founder_client.get("/console/leads/links/all/")
    assert response.status_code == 200
    return {row.link.pk: (row.leads, row.deals, row.revenue) for row in response.context["rows"]}


def test_the_list_counts_each_links_leads_and_deals(founder_client, course, django_assert_max_num_queries):
    cohort = course.cohorts.get()
    post7 = make_link(founder_client, campaign="spring", content="post-7")
    post8 = make_link(founder_client, campaign="spring", content="post-8")
    bare = make_link(founder_client, channel="bilibili")
    # Same tags on two pages: the page the lead landed on decides.
    home = make_link(founder_client, page="/courses/", channel="zhihu", content="answer")
    course_page = make_link(founder_client, channel="zhihu", content="answer")
    tags = {"utm_campaign": "spring", "utm_content": "post-7"}
    paid = f.make_lead(channel="XiaoHongShu", landing_page="/courses/py/?ch=XiaoHongShu", **tags)
    f.make_order(cohort, lead=paid, status=Order.Status.PAID, amount="1999.00")
    f.make_order(cohort, lead=paid, status=Order.Status.PENDING)  # not a deal
    f.make_lead(channel="xiaohongshu", **tags)
    f.make_lead(channel="xiaohongshu", is_spam=True, **tags)  # never a lead…
    spam = f.make_lead(channel="xiaohongshu", is_spam=True, phone="+8613800138001", **tags)
    f.make_order(cohort, lead=spam, status=Order.Status.PAID, amount="1.00")  # …but its order is a deal
    f.make_lead(channel="xiaohongshu", utm_campaign="spring")  # no content: no link of ours
    f.make_lead(channel="bilibili")
    f.make_lead(channel="bilibili", utm_content="other")  # other tags than the bare link
    f.make_lead(channel="zhihu", utm_content="answer", landing_page="/courses/?ch=zhihu")
    f.make_lead(channel="zhihu", utm_content="answer", landing_page="/courses/py/?ch=zhihu")
    f.make_lead(channel="zhihu", utm_content="answer", landing_page="/courses/py/?ch=zhihu&x=1")
    f.make_order(cohort, status=Order.Status.PAID, paid_at=timezone.now())  # no lead
    figures = leads_and_deals(founder_client, django_assert_max_num_queries)
    assert figures[post7.pk][:2] == (2, 2) and str(figures[post7.pk][2]) == "2000.00"
    assert figures[post8.pk][:2] == (0, 0)
    assert figures[bare.pk][:2] == (1, 0)
    assert figures[home.pk][:2] == (1, 0)
    assert figures[course_page.pk][:2] == (2, 0)


def test_the_list_reads_the_same_few_queries_for_many_links_and_leads(
    founder_client, course, django_assert_max_num_queries
):
    for i in range(30):
        link = make_link(founder_client, content=f"post-{i}")
        for _ in range(2):
            f.make_lead(channel=link.channel, utm_content=link.content)
    figures = leads_and_deals(founder_client, django_assert_max_num_queries)
    assert len(figures) == 30 and all(leads == 2 for leads, _deals, _revenue in figures.values())
    page = founder_client.get("/console/leads/links/all/").content.decode()
    assert page.count('/qr.png"') >= 30 and "小红书" in page
