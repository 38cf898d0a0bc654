"""Beside the standing cast: students of cohort A whose enrollment is no longer active.

- `refunded_student`: refunded two days ago; `dropped_student`: dropped two days ago;
- `graduated_student`: graduated today, with a passed graduation assessment.
Each comes with a signed-in client. They are ended through the cohorts services, as billing's
refund and the founder's console end them.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from cohorts import services
from tests import factories as f
from tests.conftest import _client_for


def _ended_student(cohort, email: str, name: str, status: str):
    learner = f.make_student(f.make_user(email=email, name=name))
    enrollment = f.make_enrollment(learner, cohort)
    services.enrollment_end(enrollment=enrollment, status=status, ended_at=timezone.now() - timedelta(days=2))
    return learner


@pytest.fixture
def refunded_student(cohort_a):
    return _ended_student(cohort_a, "refunded@example.com", "退款学员", "refunded")


@pytest.fixture
def dropped_student(cohort_a):
    return _ended_student(cohort_a, "dropped@example.com", "退学学员", "dropped")


@pytest.fixture
def graduated_student(cohort_a):
    learner = f.make_student(f.make_user(email="graduate@example.com", name="毕业学员"))
    enrollment = f.make_enrollment(learner, cohort_a)
    f.make_assessment(learner, cohort_a, "graduation", 88, passed=True)
    services.enrollment_graduate(enrollment=enrollment)
    return learner


@pytest.fixture
def refunded_client(refunded_student) -> Client:
    return _client_for(refunded_student.user)


@pytest.fixture
def dropped_client(dropped_student) -> Client:
    return _client_for(dropped_student.user)


@pytest.fixture
def graduated_client(graduated_student) -> Client:
    return _client_for(graduated_student.user)
