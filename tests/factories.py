"""Small builders for test data. Keyword arguments override any field.

Plain functions rather than a factory library: each one is a few obvious lines and returns a
saved object.
"""

import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from billing.models import Order
from cohorts.models import (
    Assessment,
    Assignment,
    Attendance,
    Cohort,
    Course,
    Enrollment,
    FeedbackTemplate,
    Lesson,
    Quiz,
    QuizChoice,
    QuizQuestion,
    Student,
    Submission,
)
from crm.models import Consultation, Lead, LeadTouch

_seq = itertools.count(1)


def seq() -> int:
    return next(_seq)


def aware(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A moment in the site time zone (Asia/Shanghai by default)."""
    return datetime(year, month, day, hour, minute, tzinfo=timezone.get_default_timezone())


def make_user(**fields) -> User:
    n = seq()
    fields.setdefault("email", f"user{n}@example.com")
    fields.setdefault("name", f"用户{n}")
    password = fields.pop("password", None)
    return User.objects.create_user(password=password, **fields)


def make_course(**fields) -> Course:
    n = seq()
    fields.setdefault("slug", f"course-{n}")
    fields.setdefault("title", f"课程 {n}")
    fields.setdefault("status", Course.Status.PUBLISHED)
    return Course.objects.create(**fields)


def make_cohort(course: Course | None = None, **fields) -> Cohort:
    n = seq()
    fields.setdefault("slug", f"cohort-{n}")
    fields.setdefault("name", f"第 {n} 期")
    fields.setdefault("starts_on", date.today() - timedelta(days=14))
    fields.setdefault("ends_on", fields["starts_on"] + timedelta(weeks=8))
    fields.setdefault("capacity", 30)
    fields.setdefault("price", Decimal("1999.00"))
    return Cohort.objects.create(course=course or make_course(), **fields)


def make_student(user: User | None = None, **fields) -> Student:
    return Student.objects.create(user=user or make_user(), **fields)


def make_enrollment(student: Student, cohort: Cohort, **fields) -> Enrollment:
    fields.setdefault("enrolled_at", timezone.now() - timedelta(days=30))
    return Enrollment.objects.create(student=student, cohort=cohort, **fields)


def make_lesson(cohort: Cohort, **fields) -> Lesson:
    fields.setdefault("title", f"第 {seq()} 课")
    fields.setdefault("starts_at", timezone.now() - timedelta(days=1))
    return Lesson.objects.create(cohort=cohort, **fields)


def make_attendance(lesson: Lesson, student: Student, status: str = "full", **fields) -> Attendance:
    return Attendance.objects.create(lesson=lesson, student=student, status=status, **fields)


def make_assignment(cohort: Cohort, **fields) -> Assignment:
    fields.setdefault("title", f"作业 {seq()}")
    fields.setdefault("instructions", "完成练习。")
    fields.setdefault("standard", "能运行。")
    fields.setdefault("due_at", timezone.now() + timedelta(days=3))
    return Assignment.objects.create(cohort=cohort, **fields)


def make_submission(assignment: Assignment, student: Student, **fields) -> Submission:
    fields.setdefault("attempt", 1)
    fields.setdefault("text", "我的作业")
    return Submission.objects.create(assignment=assignment, student=student, **fields)


def make_assessment(student: Student, cohort: Cohort, kind: str, score: int | str, **fields) -> Assessment:
    return Assessment.objects.create(
        student=student, cohort=cohort, kind=kind, score=Decimal(str(score)), **fields
    )


def make_quiz(cohort: Cohort, **fields) -> Quiz:
    """A published online test, open since an hour ago, without questions (make_question)."""
    fields.setdefault("title", f"测评 {seq()}")
    fields.setdefault("kind", Quiz.Kind.STAGE)
    fields.setdefault("opens_at", timezone.now() - timedelta(hours=1))
    fields.setdefault("is_published", True)
    return Quiz.objects.create(cohort=cohort, **fields)


def make_question(quiz: Quiz, kind: str, points: int = 1, choices: tuple = (), **fields) -> QuizQuestion:
    """A question; `choices` as (text, is_correct) pairs for multiple choice."""
    fields.setdefault("prompt", f"第 {seq()} 题")
    fields.setdefault("position", quiz.questions.count())
    question = QuizQuestion.objects.create(quiz=quiz, kind=kind, points=points, **fields)
    for position, (text, correct) in enumerate(choices):
        QuizChoice.objects.create(question=question, position=position, text=text, is_correct=correct)
    return question


def make_feedback_template(**fields) -> FeedbackTemplate:
    fields.setdefault("title", f"模板 {seq()}")
    fields.setdefault("body", "做得很好。")
    return FeedbackTemplate.objects.create(**fields)


def make_lead(**fields) -> Lead:
    n = seq()
    fields.setdefault("name", f"线索{n}")
    if "email" not in fields and "phone" not in fields:
        fields["email"] = f"lead{n}@example.com"
    fields.setdefault("consent_at", timezone.now())
    lead = Lead.objects.create(**fields)
    LeadTouch.objects.create(
        lead=lead,
        touched_at=lead.created_at,
        channel=lead.channel,
        utm_source=lead.utm_source,
        utm_campaign=lead.utm_campaign,
        utm_content=lead.utm_content,
    )
    return lead


def make_consultation(lead: Lead, **fields) -> Consultation:
    fields.setdefault("scheduled_at", timezone.now())
    if fields.get("status") == Consultation.Status.HELD:
        fields.setdefault("held_at", fields["scheduled_at"])
    return Consultation.objects.create(lead=lead, **fields)


def make_order(cohort: Cohort, **fields) -> Order:
    fields.setdefault("buyer_name", "买家")
    fields.setdefault("buyer_email", f"buyer{seq()}@example.com")
    fields.setdefault("amount", cohort.price)
    if fields.get("status") in Order.PAID_STATUSES:
        fields.setdefault("paid_at", timezone.now())
    return Order.objects.create(cohort=cohort, **fields)
