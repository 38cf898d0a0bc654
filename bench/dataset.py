"""Three years of a successful solo business, generated deterministically and loaded fast.

    uv run python -m bench.dataset [--scale 1.0] [--seed 7]

At scale 1: 50,000 leads, 5,000 orders, 60 cohorts, 5,000 students, 3,000 lessons,
150,000 attendance rows, 2,000 assignments, 100,000 submissions, 10,000 assessments (plus
consultations, refunds, the users behind the students, and 1,000 content pieces with their
links). Rows go in with bulk inserts in
large batches; the same seed always gives the same data. Meant for an empty database.
"""

import argparse
import random
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
FIRST_MONDAY = date(2023, 11, 27)  # 156 weeks before 2026-11-23
WEEKS = 156
CHANNELS = ["xiaohongshu", "zhihu", "bilibili", "wechat", "douyin", "referral", ""]
BATCH = 5000


def at(day: date, hour: int = 20, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def generate(scale: float = 1.0, seed: int = 7, out=print) -> dict[str, int]:
    from django.db import transaction

    rng = random.Random(seed)
    n = lambda count: max(1, int(count * scale))  # noqa: E731
    counts: dict[str, int] = {}
    started = time.monotonic()

    def save(model, rows: list) -> list:
        created = model.objects.bulk_create(rows, batch_size=BATCH)
        counts[model._meta.label_lower] = counts.get(model._meta.label_lower, 0) + len(created)
        out(
            f"  {model._meta.label_lower:<24} {counts[model._meta.label_lower]:>8,}  ({time.monotonic() - started:5.1f} s)"
        )
        return created

    with transaction.atomic():
        leads = _leads(rng, n(50_000), save)
        cohorts = _cohorts(rng, n(60), save)
        _students_made, enrollments = _students(rng, n(5_000), cohorts, leads, save)
        _orders(rng, n(5_000), enrollments, save)
        _delivery(rng, cohorts, enrollments, n(3_000), n(150_000), n(2_000), n(100_000), save)
        _assessments(rng, enrollments, n(10_000), save)
    out(f"  loaded in {time.monotonic() - started:.1f} s")
    return counts


def _leads(rng, total, save):
    from crm.models import Consultation, Lead

    rows = []
    for i in range(total):
        day = FIRST_MONDAY + timedelta(days=int(i * WEEKS * 7 / total))
        spam = rng.random() < 0.04
        rows.append(
            Lead(
                name=f"学员{i}",
                email=f"lead{i}@example.com",
                phone=f"+86138{i:08d}",
                wechat=f"wx_{i}",
                message="想了解课程" if rng.random() < 0.3 else "",
                consent_at=at(day, 12),
                status=rng.choice(["new", "contacted", "consulting", "won", "lost"]),
                is_spam=spam,
                channel=rng.choice(CHANNELS),
                utm_source=rng.choice(["xhs", "zh", "bili", "wx", ""]),
                utm_campaign=f"w{(i // 300) % 52 + 1}",
                utm_content=f"post-{i // 50}",
                landing_page="/courses/",
                created_at=at(day, rng.randrange(8, 23), rng.randrange(60)),
            )
        )
    leads = save(Lead, rows)
    _content(rng, leads, save)
    consultations = []
    for lead in rng.sample(leads, len(leads) // 6):
        when = lead.created_at + timedelta(days=rng.randrange(1, 10))
        status = rng.choice(["held", "held", "held", "no_show", "cancelled", "scheduled"])
        consultations.append(
            Consultation(
                lead=lead,
                kind=rng.choice(["trial", "call"]),
                scheduled_at=when,
                held_at=when if status == "held" else None,
                status=status,
            )
        )
    save(Consultation, consultations)
    return leads


def _content(rng, leads, save):
    """The founder's posts: one per content tag (post-N, fifty leads each, about six a week),
    published the day its first lead came, on one channel, with the link builder's link to the
    courses page attached (内容与回报: its leads of that channel count for it), and a cost."""
    from crm.models import ContentPiece, ContentSettings, TrackedLink

    ContentSettings.objects.create(hour_value=Decimal("150.00"))
    first = {}
    for lead in leads:
        first.setdefault((lead.utm_campaign, lead.utm_content), lead)
    channels = [channel for channel in CHANNELS if channel]
    pieces = save(
        ContentPiece,
        [
            ContentPiece(
                channel=channels[i % len(channels)],
                campaign=campaign,
                title=f"笔记 {content}",
                published_on=lead.created_at.astimezone(TZ).date(),
                cost_money=Decimal(rng.choice(["0", "0", "0", "100.00", "300.00"])),
                cost_hours=Decimal(rng.choice(["1.0", "2.0", "3.0", "5.0"])),
                created_at=lead.created_at,
            )
            for i, ((campaign, content), lead) in enumerate(first.items())
        ],
    )
    save(
        TrackedLink,
        [
            TrackedLink(
                page="/courses/",
                channel=piece.channel,
                campaign=piece.campaign,
                content=content,
                label=piece.title,
                piece=piece,
                created_at=piece.created_at,
            )
            for piece, (_campaign, content) in zip(pieces, first, strict=True)
        ],
    )


def _cohorts(rng, total, save):
    from cohorts.models import Cohort, Course

    courses = save(
        Course,
        [Course(slug=f"course-{i}", title=f"课程 {i}", tagline="", status="published") for i in range(3)],
    )
    rows = []
    for i in range(total):
        start = FIRST_MONDAY + timedelta(weeks=int(i * (WEEKS - 12) / total))
        rows.append(
            Cohort(
                course=courses[i % 3],
                slug=f"cohort-{i}",
                name=f"第 {i + 1} 期",
                starts_on=start,
                ends_on=start + timedelta(weeks=10),
                capacity=120,
                price=Decimal(rng.choice(["1999.00", "2999.00", "3999.00"])),
                sale_open=i >= total - 2,
            )
        )
    return save(Cohort, rows)


def _students(rng, total, cohorts, leads, save):
    from accounts.models import User
    from cohorts.models import Enrollment, Student

    users = save(
        User,
        [User(email=f"student{i}@example.com", name=f"学员{i}", password="!bench") for i in range(total)],
    )
    won = [lead for lead in leads if not lead.is_spam]
    students = save(Student, [Student(user=u, lead=won[i * len(won) // total]) for i, u in enumerate(users)])
    enrollments = []
    for i, student in enumerate(students):
        cohort = cohorts[i * len(cohorts) // total]
        enrolled = at(cohort.starts_on - timedelta(days=rng.randrange(1, 14)), 10)
        roll = rng.random()
        if roll < 0.06:
            status, ended = "dropped", enrolled + timedelta(days=rng.randrange(14, 50))
        elif roll < 0.08:
            status, ended = "refunded", enrolled + timedelta(days=rng.randrange(1, 10))
        elif cohort.ends_on < FIRST_MONDAY + timedelta(weeks=WEEKS) and roll < 0.8:
            status, ended = "graduated", at(cohort.ends_on, 21)  # graduation ends the enrollment
        else:
            status, ended = "active", None
        enrollments.append(
            Enrollment(
                student=student,
                cohort=cohort,
                enrolled_at=enrolled,
                ended_at=ended,
                status=status,
                graduated_at=at(cohort.ends_on, 21) if status == "graduated" else None,
            )
        )
    return students, save(Enrollment, enrollments)


def _orders(rng, total, enrollments, save):
    from billing.models import Order, Refund

    rows = []
    for i in range(total):
        enrollment = enrollments[i % len(enrollments)]
        cohort = enrollment.cohort
        paid = enrollment.enrolled_at - timedelta(minutes=5)
        status = {"refunded": "refunded"}.get(enrollment.status, "paid")
        if i >= len(enrollments):  # more orders than students: abandoned checkouts
            status, paid = rng.choice(["expired", "cancelled"]), None
        rows.append(
            Order(
                number=f"B{i:010d}",
                lead_id=enrollment.student.lead_id,
                user_id=enrollment.student.user_id,
                cohort=cohort,
                buyer_name=f"学员{i}",
                buyer_email=f"student{i % len(enrollments)}@example.com",
                amount=cohort.price,
                status=status,
                provider=rng.choice(["alipay", "wechat", "stripe", "manual"]),
                provider_trade_no=f"T{i:012d}" if paid else "",
                created_at=(paid or enrollment.enrolled_at) - timedelta(minutes=10),
                paid_at=paid,
                enrollment=enrollment if paid else None,
            )
        )
    orders = save(Order, rows)
    refunds = [
        Refund(
            order=o,
            amount=o.amount,
            status="succeeded",
            out_refund_no=f"R{o.number}",
            refunded_at=o.paid_at + timedelta(days=3),
        )
        for o in orders
        if o.status == "refunded"
    ]
    save(Refund, refunds)


def _delivery(rng, cohorts, enrollments, lessons_n, attendance_n, assignments_n, submissions_n, save):
    from cohorts.models import Assignment, Attendance, Lesson, Submission

    by_cohort: dict[int, list] = {}
    for e in enrollments:
        by_cohort.setdefault(e.cohort_id, []).append(e)
    per_cohort = lessons_n // len(cohorts)
    lessons = save(
        Lesson,
        [
            Lesson(
                cohort=c,
                title=f"第 {k + 1} 课",
                starts_at=at(c.starts_on + timedelta(days=k * 70 // per_cohort), 20),
            )
            for c in cohorts
            for k in range(per_cohort)
        ],
    )
    pairs = [(lesson, e) for lesson in lessons for e in by_cohort.get(lesson.cohort_id, [])]
    chosen = rng.sample(pairs, min(attendance_n, len(pairs)))
    save(
        Attendance,
        [
            Attendance(
                lesson=lesson,
                student_id=e.student_id,
                status=rng.choice(["full", "full", "full", "partial", "absent"]),
                recorded_at=lesson.starts_at + timedelta(hours=2),
            )
            for lesson, e in chosen
        ],
    )
    per_cohort = assignments_n // len(cohorts)
    assignments = save(
        Assignment,
        [
            Assignment(
                cohort=c,
                title=f"作业 {k + 1}",
                instructions="完成本周练习。",
                standard="结构清晰，结论有数据支持。",
                due_at=at(c.starts_on + timedelta(days=3 + k * 66 // per_cohort), 23, 59),
                is_graduation_project=k == per_cohort - 1,
            )
            for c in cohorts
            for k in range(per_cohort)
        ],
    )
    pairs = [(a, e) for a in assignments for e in by_cohort.get(a.cohort_id, [])]
    chosen = rng.sample(pairs, min(int(submissions_n / 1.1), len(pairs)))
    rows = []
    for a, e in chosen:
        attempts = 2 if rng.random() < 0.1 and len(rows) + 2 <= submissions_n else 1
        for attempt in range(1, attempts + 1):
            submitted = a.due_at - timedelta(hours=rng.randrange(-24, 72))
            graded = rng.random() < 0.9
            score = Decimal(rng.randrange(40, 100)) if graded else None
            rows.append(
                Submission(
                    assignment=a,
                    student_id=e.student_id,
                    attempt=attempt,
                    text="我的作业" * 10,
                    submitted_at=submitted,
                    late=submitted > a.due_at,
                    score=score,
                    passed=(score >= a.pass_mark) if graded else None,
                    graded_at=submitted + timedelta(days=1) if graded else None,
                )
            )
        if len(rows) >= submissions_n:
            break
    save(Submission, rows)


def _assessments(rng, enrollments, total, save):
    from cohorts.models import Assessment

    rows = []
    for e in enrollments:
        entry = rng.randrange(30, 70)
        start = e.enrolled_at + timedelta(days=7)
        rows.append(
            Assessment(
                student_id=e.student_id, cohort_id=e.cohort_id, kind="entry", score=entry, taken_at=start
            )
        )
        rows.append(
            Assessment(
                student_id=e.student_id,
                cohort_id=e.cohort_id,
                kind="graduation",
                score=min(100, entry + rng.randrange(-5, 35)),
                taken_at=start + timedelta(days=63),
            )
        )
        if len(rows) >= total:
            break
    save(Assessment, rows)


def main() -> None:
    import django

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    generate(scale=args.scale, seed=args.seed)


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onepco.settings")
    main()
