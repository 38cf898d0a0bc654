"""Reads of the system itself."""

from dataclasses import dataclass
from datetime import datetime

import redis
from django.db.models import Q
from rq.job import Job
from rq.registry import FailedJobRegistry

from cohorts.models import Student
from crm.models import Lead
from onepco.outbox import get_queue


@dataclass(frozen=True)
class FailedJob:
    id: str
    name: str
    failed_at: datetime | None
    error: str


def failed_jobs(limit: int = 50) -> list[FailedJob]:
    """The newest failed jobs, with the last line of their error (empty if Redis is away)."""
    try:
        queue = get_queue()
        ids = FailedJobRegistry(queue=queue).get_job_ids(0, limit - 1)
        jobs = Job.fetch_many(ids, connection=queue.connection)
    except redis.RedisError:
        return []
    found = []
    for job in filter(None, jobs):
        result = job.latest_result()
        error = ((result.exc_string if result else "") or "").strip().splitlines()
        found.append(
            FailedJob(
                job.id, job.description or job.func_name or "", job.ended_at, error[-1] if error else ""
            )
        )
    return found


def erasure_candidates(query: str, limit: int = 20) -> dict[str, list]:
    """Leads and students matching a name, e-mail, phone or WeChat id, for an erasure request."""

    query = query.strip()
    if len(query) < 2:
        return {"leads": [], "students": []}
    leads = Lead.objects.filter(
        Q(name__icontains=query)
        | Q(email__icontains=query)
        | Q(phone__icontains=query)
        | Q(wechat__icontains=query)
    ).order_by("-created_at")[:limit]
    students = (
        Student.objects.filter(
            Q(user__name__icontains=query)
            | Q(user__email__icontains=query)
            | Q(phone__icontains=query)
            | Q(wechat__icontains=query)
        )
        .exclude(user__is_staff=True)
        .select_related("user")
        .order_by("-created_at")[:limit]
    )
    return {"leads": list(leads), "students": list(students)}
