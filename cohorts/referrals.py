"""Referral links: every student has a code (Student.referral_code, made when the profile is,
stable for good) and a personal link to a course page that carries it:

    <SITE_URL>/courses/<course-slug>/?channel=referral&ref=<code>

A visitor arriving through it is attributed like any tagged landing (crm/attribution.py): the
lead created when they sign up or buy gets channel `referral`, the code, and `referred_by`
(the student). First touch wins, as for every channel: a person who came earlier through
another tagged link, or who is a lead already, keeps that attribution. Rewards for the
referrer (issue 17) build on `Lead.referred_by`.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from cohorts.models import Course, Student

REFERRAL_CHANNEL = "referral"
REFERRAL_PARAM = "ref"


def referral_url(student: Student, course: Course | None = None) -> str:
    """The student's link to a course's page (to the course list when the course is not
    published: a draft's page is a 404 for visitors)."""
    if course is not None and course.is_published:
        path = reverse("billing:course_detail", args=[course.slug])
    else:
        path = reverse("billing:course_index")
    query = urlencode({"channel": REFERRAL_CHANNEL, REFERRAL_PARAM: student.referral_code})
    return f"{settings.SITE_URL}{path}?{query}"


def student_referral_url(student: Student) -> str:
    """The link on the student's home page: to the course of their latest cohort."""
    latest = (
        student.enrollments.select_related("cohort__course").order_by("-cohort__starts_on", "-pk").first()
    )
    return referral_url(student, latest.cohort.course if latest is not None else None)
