"""The demo business: believable, deterministic, and loaded once however often it is asked."""

from datetime import timedelta

from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from accounts.models import User
from billing.models import Order, Refund
from cohorts.models import (
    Assessment,
    Assignment,
    Attendance,
    Cohort,
    Course,
    Enrollment,
    Lesson,
    Quiz,
    Submission,
)  # fmt: skip
from console.demo import demo_load
from crm.models import Consultation, ContentPiece, ContentSettings, Lead
from onepco.weeks import Week

COUNTED = [Lead, Consultation, Order, Refund, Cohort, Enrollment, Lesson, Attendance, Submission, Assessment]


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def test_seed_demo_twice_changes_nothing_the_second_time(db, capsys):
    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")
    assert counts() == first
    assert "already loaded" in capsys.readouterr().out


def test_the_demo_makes_every_weekly_number_non_trivial_in_recent_weeks(db):
    call_command("seed_demo")
    assert Cohort.objects.count() == 3
    assert 280 <= Lead.objects.filter(is_spam=False).count() <= 330
    assert Lead.objects.filter(is_spam=True).exists()
    assert Lead.objects.values("channel").distinct().count() >= 4
    assert Refund.objects.filter(status="succeeded").count() == 2

    this_week = Week.current()
    for back in range(1, 4):
        week = this_week.shifted(-back)
        span = {"gte": week.start, "lt": week.end}
        assert Lead.objects.filter(
            is_spam=False, created_at__gte=span["gte"], created_at__lt=span["lt"]
        ).exists()
        assert Consultation.objects.filter(
            status="held", held_at__gte=week.start, held_at__lt=week.end
        ).exists()
        assert (
            Lesson.objects.filter(starts_at__gte=week.start, starts_at__lt=week.end)
            .annotate(n=Count("attendances"))
            .filter(n__gt=0)
            .exists()
        )
        assert Submission.objects.filter(
            assignment__due_at__gte=week.start, assignment__due_at__lt=week.end, graded_at__isnull=False
        ).exists()
    recent = this_week.shifted(-12).start
    assert Order.objects.filter(paid_at__gte=recent).values("paid_at__week").distinct().count() >= 4
    stage_weeks = {
        Week.of(t) for t in Assessment.objects.exclude(kind="entry").values_list("taken_at", flat=True)
    }
    assert len([w for w in stage_weeks if w < this_week]) >= 2
    assert Submission.objects.filter(passed=False).exists() and Submission.objects.filter(attempt=2).exists()
    assert Enrollment.objects.filter(status="graduated").exists()
    assert Enrollment.objects.filter(status="refunded", ended_at__isnull=False).exists()


def test_a_fresh_demo_has_follow_ups_and_consultations_for_today(db):
    call_command("seed_demo")
    today = timezone.localdate()
    due = Lead.objects.filter(is_spam=False, next_follow_up_on__lte=today)
    assert due.filter(next_follow_up_on__lt=today).exists() and due.filter(next_follow_up_on=today).exists()
    assert Lead.objects.filter(next_follow_up_on__gt=today).exists()
    soon = Consultation.objects.filter(
        status="scheduled", scheduled_at__date__gte=today, scheduled_at__date__lte=today + timedelta(days=1)
    )
    assert soon.exclude(meeting_url="").count() >= 2


def test_the_demo_courses_are_published_with_their_sales_page_filled(db, client):
    call_command("seed_demo")
    courses = Course.objects.prefetch_related("faqs").order_by("slug")
    assert [c.slug for c in courses] == ["ai-coding", "data-analysis"]
    for course in courses:
        assert course.is_published
        for field in (
            "tagline",
            "audience",
            "outcomes",
            "graduation_standard",
            "teacher_name",
            "teacher_bio",
        ):
            assert getattr(course, field).strip(), (course.slug, field)
        assert course.faqs.count() >= 3
        assert course.refund_policy == ""  # the site's
    assert "SQL" in Course.objects.get(slug="data-analysis").outcomes
    assert "AI 应用" in Course.objects.get(slug="ai-coding").graduation_standard
    upcoming = Cohort.objects.get(slug="ai-coding-2")
    assert upcoming.enrolment_open and upcoming.meeting_url and upcoming.entry_assessment_at
    page = client.get("/courses/ai-coding/")
    assert page.status_code == 200 and "/courses/ai-coding-2/buy/" in page.content.decode()


def test_the_demo_thank_you_page_has_a_next_step_and_its_form_is_live(db, client):
    demo_load()
    html = client.get("/thanks/").content.decode()
    assert "onepco_demo" in html and "https://meeting.tencent.com/demo/book-a-trial-class" in html
    assert 'name="email"' in client.get("/courses/ai-coding/").content.decode()


def test_the_demo_sells_each_course_with_a_full_page(db, client):
    from django.urls import reverse

    from cohorts.models import GraduationReport
    from crm.models import SignupSettings

    call_command("seed_demo")
    signup = SignupSettings.current()
    assert signup.wechat_id and signup.trial_booking_url and signup.wechat_qr
    assert signup.wechat_qr.open("rb").read(8) == b"\x89PNG\r\n\x1a\n"
    for course in Course.objects.all():  # the texts: the test above
        for which in ("cover", "teacher"):
            image = client.get(reverse("cohorts:course_image", args=[course.slug, which]))
            assert image.status_code == 200 and image["Content-Type"] == "image/png"
        page = client.get(reverse("billing:course_detail", args=[course.slug])).text
        assert 'id="syllabus"' in page and 'property="og:image"' in page
    # homework matches each course: no AI-coding work in the data-analysis course
    data_titles = " ".join(
        Assignment.objects.filter(cohort__course__slug="data-analysis").values_list("title", flat=True)
    )
    assert "SQL" in data_titles and "AI" not in data_titles and "大模型" not in data_titles
    lesson_titles = " ".join(
        Lesson.objects.filter(cohort__course__slug="data-analysis").values_list("title", flat=True)
    )
    assert "pandas" in lesson_titles and "大模型" not in lesson_titles
    # graduates: published reports, and showcased work shown with consent only
    graduated = Enrollment.objects.filter(status="graduated")
    assert graduated.exists() and GraduationReport.objects.count() == graduated.count()
    assert GraduationReport.objects.filter(is_published=True).exists()
    sharing = GraduationReport.objects.filter(shares_work=True)
    assert sharing.exists()
    page = client.get(reverse("billing:course_detail", args=["ai-coding"])).text
    assert 'id="showcase"' in page
    for report in GraduationReport.objects.filter(shares_work=False):
        name = report.enrollment.student.user.name
        shown_by_others = sharing.filter(enrollment__student__user__name=name).exists()
        if (
            not shown_by_others
            and Submission.objects.filter(student=report.enrollment.student, is_showcase=True).exists()
        ):
            assert f"{name} · " not in page


def test_the_next_cohort_has_an_online_entry_test_its_students_can_open(db, client):
    demo_load()
    upcoming = Cohort.objects.get(slug="ai-coding-2")
    quiz = Quiz.objects.get(cohort=upcoming, kind=Quiz.Kind.ENTRY)
    assert quiz.is_published and quiz.questions.count() == 4
    assert {q.kind for q in quiz.questions.all()} >= {"single", "multiple", "truefalse", "short"}
    assert quiz.opens_at < upcoming.lessons.earliest("starts_at").starts_at
    student = Enrollment.objects.filter(cohort=upcoming, status="active").first().student
    client.force_login(student.user)
    assert client.get(f"/learn/cohorts/{upcoming.pk}/").status_code == 200
    assert quiz.title in client.get(f"/learn/cohorts/{upcoming.pk}/").content.decode()


def test_the_demo_logs_its_posts_with_costs_and_links_so_content_and_return_has_figures(db, client):
    from dashboard.selectors.roi import roi_report

    demo_load()
    pieces = ContentPiece.objects.all()
    assert pieces.count() >= 10 and ContentSettings.current().hour_value > 0
    assert all(piece.links.count() == 1 for piece in pieces)
    # A lead only ever came from a post already published, through its link's tags.
    for piece in pieces:
        link = piece.links.get()
        tagged = Lead.objects.filter(
            channel=link.channel, utm_campaign=link.campaign, utm_content=link.content
        )
        assert not tagged.filter(created_at__date__lt=piece.published_on).exists(), piece.title

    report = roi_report(Week.current().previous(), weeks=12)
    brought = [item for item in report.pieces if item.figures.leads]
    assert len(brought) >= 8
    assert any(item.figures.deals and item.figures.cost > 0 for item in report.pieces)
    assert any(row.figures.cost > 0 and row.figures.leads for row in report.channels)

    client.force_login(User.objects.create_user(email="boss@example.com", name="老板", is_staff=True))
    page = client.get("/console/leads/pieces/?weeks=12").content.decode()
    assert "60 分钟入门 pandas" in page and "学员故事：35 岁转行数据分析" in page
