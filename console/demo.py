"""A believable demo business: two courses, three cohorts, twelve weeks of leads and teaching.

Deterministic for a given current week (a fixed random seed, every date placed relative to
this week's Monday), so that every weekly number is non-trivial for the recent weeks. Loading
it twice changes nothing: the second run sees the demo courses and stops.
"""

import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from billing.models import Order, Provider, Refund
from cohorts import quiz_services
from cohorts.models import (
    Assessment,
    Assignment,
    Attendance,
    Cohort,
    Course,
    CourseFAQ,
    Enrollment,
    FeedbackTemplate,
    GraduationReport,
    Lesson,
    Quiz,
    QuizQuestion,
    Student,
    Submission,
)
from console.demo_images import cover_png, portrait_png, qr_png
from crm.models import Consultation, ContentPiece, Lead, LeadNote, LeadTouch, SignupSettings
from crm.selectors import signup_is_live
from crm.services import content_piece_save, content_settings_save, signup_settings_save, tracked_link_make
from dashboard.services import weekly_metrics_backfill_recent
from onepco.money import money
from onepco.weeks import Week

SEED = 20260101
DEMO_WECHAT_QR = "https://u.wechat.com/demo-onepco"
PALETTES = {
    "ai-coding": ((37, 99, 235), (124, 58, 237), "AI"),
    "data-analysis": ((13, 148, 136), (8, 80, 120), "SQL"),
}
DEMO_BOOKING_URL = "https://meeting.tencent.com/demo/book-a-trial-class"
DEMO_NEXT_STEP = "下一步：加创始人微信（备注“试听”），或直接预约一节免费试听课。我们会在一个工作日内联系你。"
DEMO_COURSE_SLUGS = ("ai-coding", "data-analysis")

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛",
    "明", "超", "秀英", "霞", "平", "刚", "桂英", "晓东", "思远", "雨桐", "子涵", "浩然", "欣怡",
    "梓萱", "一鸣", "佳怡", "宇轩", "若曦", "俊杰", "诗琪", "博文", "晨曦", "嘉怡", "天佑", "梦琪",
]  # fmt: skip


@dataclass(frozen=True)
class Post:
    """A piece the demo founder published (its content tag on every link to it) and its cost."""

    content: str
    title: str
    campaign: str
    week: int  # published on the Monday this many weeks from this week's (negative: before)
    money: int = 0
    hours: float = 0


@dataclass(frozen=True)
class Channel:
    key: str
    weight: int
    medium: str
    posts: tuple[Post, ...]


AI, DATA, EVERGREEN = "ai-coding-2-launch", "data-analysis-1-launch", "evergreen"
CAMPAIGN_COURSE = {AI: "ai-coding", DATA: "data-analysis", EVERGREEN: "data-analysis"}
HOUR_VALUE = 150  # what the demo founder counts an hour of their time at (内容与回报)

CHANNELS = [
    Channel("xiaohongshu", 34, "social", (
        Post("xhs-sql-cheatsheet", "一张图看懂 SQL 的 JOIN", EVERGREEN, -20, hours=2),
        Post("xhs-cursor-tips", "用 Cursor 写代码的 7 个小技巧", AI, -10, hours=3),
        Post("xhs-first-ai-app", "零基础做出第一个 AI 小程序", AI, -4, money=300, hours=4),
        Post("xhs-student-story", "学员故事：35 岁转行数据分析", DATA, -2, money=500, hours=2),
    )),
    Channel("wechat_mp", 24, "article", (
        Post("mp-why-cohorts", "为什么我只做小班直播课", EVERGREEN, -20, hours=5),
        Post("mp-salary-report", "2026 数据分析岗位薪资报告", DATA, -9, hours=8),
        Post("mp-graduation-showcase", "第 1 期结营作品展", AI, -3, hours=4),
    )),
    Channel("bilibili", 16, "video", (
        Post("bili-pandas-in-60min", "60 分钟入门 pandas", DATA, -20, money=200, hours=10),
        Post("bili-live-coding-ep3", "直播写代码 第 3 集：做一个 AI 助手", AI, -6, hours=6),
    )),
    Channel("zhihu", 10, "answer", (
        Post("zhihu-data-analyst-path", "如何系统地学习数据分析？", EVERGREEN, -20, hours=2),
        Post("zhihu-learn-programming-at-30", "30 岁开始学编程还来得及吗？", AI, -8, hours=1.5),
    )),
    Channel("channels", 10, "video", (
        Post("sph-founder-qa", "创始人答疑：课程适合谁", EVERGREEN, -20, hours=2),
        Post("sph-demo-day", "结营 Demo Day 精彩片段", AI, -2, money=100, hours=3),
    )),
    # Friends a student sent: a referral link, not a published piece, so nothing is costed.
    Channel("referral", 6, "referral", (Post("alumni-invite", "", EVERGREEN, -20),)),
]  # fmt: skip

FEEDBACK_TEMPLATES = [
    (
        "达标：结构清晰",
        "整体完成得很好，结构清晰、结论明确。下一步可以把关键结论放在最前面，让读者 10 秒内抓住重点。",
    ),
    (
        "未达标：缺少可运行代码",
        "这次提交还没有达到作业标准：缺少可以直接运行的代码或说明。请补充运行步骤和截图后重新提交。",
    ),
    (
        "未达标：没有回答问题",
        "内容有一定工作量，但没有直接回答题目要求的问题。请对照“作业标准”逐条检查后再提交一次。",
    ),
    (
        "优秀：可作为案例",
        "非常出色！思路、实现和表达都达到了展示水平，我会把它作为本期的优秀案例分享给其他同学（如不同意请告诉我）。",
    ),
]


@dataclass
class DemoSummary:
    leads: int = 0
    students: int = 0
    orders: int = 0
    lessons: int = 0
    submissions: int = 0
    assessments: int = 0
    notes: list[str] = field(default_factory=list)


class DemoBuilder:
    def __init__(self, now: datetime | None = None):
        self.now = now or timezone.now()
        self.monday = Week.of(self.now).start
        self.rng = random.Random(SEED)
        self.summary = DemoSummary()
        self._people = 0

    # --- helpers ------------------------------------------------------------------------

    def at(self, weeks: float = 0, days: float = 0, hour: int | None = None, minute: int = 0) -> datetime:
        """A moment relative to this week's Monday 00:00 (site time zone)."""
        moment = self.monday + timedelta(weeks=weeks, days=days)
        if hour is not None:
            moment = moment.replace(hour=hour, minute=minute, second=0, microsecond=0)
        return moment

    def jitter(self, start: datetime, end: datetime) -> datetime:
        span = max((end - start).total_seconds(), 0)
        moment = start + timedelta(seconds=self.rng.uniform(0, span))
        return moment.replace(microsecond=0)

    def person(self) -> tuple[str, str, str]:
        self._people += 1
        name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)
        email = f"demo{self._people:03d}@example.com"
        phone = f"+86139{self._people:08d}"
        return name, email, phone

    def channel(self) -> Channel:
        return self.rng.choices(CHANNELS, weights=[c.weight for c in CHANNELS])[0]

    def post(self, channel: Channel, moment: datetime) -> Post:
        """One of the channel's pieces already out at `moment` (the newest bring the most)."""
        out = [post for post in channel.posts if self.at(weeks=post.week) <= moment]
        return self.rng.choices(out, weights=range(1, len(out) + 1))[0]

    # --- the business -------------------------------------------------------------------

    def signup_next_step(self) -> None:
        """The thank-you page offers a next step (else the demo's signup form is not live)."""
        signup = SignupSettings.current()
        if signup_is_live(signup):
            return
        signup.wechat_id = signup.wechat_id or "onepco_demo"
        signup.trial_booking_url = signup.trial_booking_url or DEMO_BOOKING_URL
        signup.next_step = signup.next_step or DEMO_NEXT_STEP
        if not signup.wechat_qr:
            signup.wechat_qr.save("demo-wechat.png", ContentFile(qr_png(DEMO_WECHAT_QR)), save=False)
        signup_settings_save(signup=signup)

    @transaction.atomic
    def build(self) -> DemoSummary:
        self.signup_next_step()
        for title, body in FEEDBACK_TEMPLATES:
            FeedbackTemplate.objects.get_or_create(
                title=title, defaults={"body": body, "position": len(title)}
            )
        ai = self.course("ai-coding", "AI 编程实战营", AI_COURSE)
        data = self.course("data-analysis", "数据分析训练营", DATA_COURSE)
        finished = self.cohort(ai, "ai-coding-1", "第 1 期", start_week=-12, price="2999", capacity=30)
        running = self.cohort(data, "data-analysis-1", "第 1 期", start_week=-5, price="1999", capacity=25)
        upcoming = self.cohort(
            ai, "ai-coding-2", "第 2 期", start_week=2, price="3299", capacity=30, sale_open=True
        )

        finished_students = self.buyers(finished, count=20, paid_from=-16, paid_to=-12)
        running_students = self.buyers(running, count=18, paid_from=-9, paid_to=-5)
        self.buyers(upcoming, count=9, paid_from=-3, paid_to=1)
        self.prospects(count=300 - self.summary.leads)
        self.spam(count=5)

        self.teach(finished, finished_students, weeks=8, dropouts=1)
        self.showcase_best(finished)
        self.teach(running, running_students, weeks=8, dropouts=2)
        self.refunds(finished, running)
        self.referrals(finished)
        self.open_orders(upcoming)
        lessons = self.lessons_only(upcoming, weeks=8)
        # Published before sale (#15: 开课前发布课表 + 作业标准): the course page's syllabus.
        self.assignments(upcoming, lessons[0].starts_at - timedelta(days=1, hours=20), weeks=8)
        self.entry_test(upcoming, opens_at=lessons[0].starts_at - timedelta(days=3))
        self.follow_ups()
        self.content()
        return self.summary

    def content(self) -> None:
        """内容与回报 (#19): each published post logged with its cost, the founder's hourly value
        set, and the link made for it in the link builder attached, so its leads and deals count."""
        content_settings_save(hour_value=Decimal(HOUR_VALUE))
        for channel in CHANNELS:
            for post in channel.posts:
                if not post.title:
                    continue
                piece = content_piece_save(
                    piece=ContentPiece(
                        channel=channel.key,
                        campaign=post.campaign,
                        title=post.title,
                        url=f"https://{channel.key.replace('_', '-')}.example/{post.content}",
                        published_on=self.at(weeks=post.week).date(),
                        cost_money=Decimal(post.money),
                        cost_hours=Decimal(str(post.hours)),
                        created_at=self.at(weeks=post.week, hour=9),
                    )
                )
                tracked_link_make(
                    page=f"/courses/{CAMPAIGN_COURSE[post.campaign]}/",
                    channel=channel.key,
                    campaign=post.campaign,
                    content=post.content,
                    label=post.title,
                    piece=piece,
                )

    def entry_test(self, cohort: Cohort, *, opens_at: datetime) -> Quiz:
        """The next cohort's online entry test (入学测评, #16), built through the founder's own
        services: three questions scored at once, one written answer for the grading queue."""
        quiz = quiz_services.quiz_save(
            quiz=Quiz(
                cohort=cohort, kind=Quiz.Kind.ENTRY, title="入学测评：你现在在哪里",
                instructions="不计入成绩，只用来和毕业测评对比。20 分钟，做不出来的题就跳过。",
                opens_at=opens_at, closes_at=opens_at + timedelta(days=5), time_limit_minutes=20,
                pass_mark=Decimal("0"),
            )
        )  # fmt: skip
        questions = [
            (QuizQuestion.Kind.SINGLE, "Python 里哪个写法得到列表 [1, 2, 3] 的长度？", 2,
             [("len([1, 2, 3])", True), ("[1, 2, 3].length", False), ("count([1, 2, 3])", False)], None),
            (QuizQuestion.Kind.MULTIPLE, "下面哪些可以用来调用大模型的 API？", 2,
             [("HTTP 请求", True), ("官方 SDK", True), ("Excel 公式", False)], None),
            (QuizQuestion.Kind.TRUE_FALSE, "把 API Key 直接写进公开的代码仓库是安全的。", 1, [], False),
            (QuizQuestion.Kind.SHORT, "用两三句话说说：你最想用 AI 做出一个什么工具？给谁用？", 5, [], None),
        ]  # fmt: skip
        for position, (kind, prompt, points, choices, truth) in enumerate(questions):
            quiz_services.quiz_question_save(
                question=QuizQuestion(
                    quiz=quiz, kind=kind, prompt=prompt, points=points, position=position, correct_true=truth
                ),
                choices=[quiz_services.ChoiceInput(text, correct) for text, correct in choices],
            )
        quiz.is_published = True
        return quiz_services.quiz_save(quiz=quiz)

    def course(self, slug: str, title: str, content: dict) -> Course:
        """A published course with its whole sales page (#15): texts, teacher, FAQ; the refund
        policy is the site's (blank)."""
        content = dict(content)
        faqs = content.pop("faqs")
        course = Course(slug=slug, title=title, status=Course.Status.PUBLISHED, **content)
        top, bottom, mark = PALETTES[slug]
        cover = cover_png(title=title, tagline=course.tagline, top=top, bottom=bottom, mark=mark)
        course.cover_image.save(f"{slug}-cover.png", ContentFile(cover), save=False)
        photo = portrait_png(initial=course.teacher_name[:1], top=bottom, bottom=top)
        course.teacher_photo.save(f"{slug}-teacher.png", ContentFile(photo), save=False)
        course.save()
        CourseFAQ.objects.bulk_create(
            CourseFAQ(course=course, question=q, answer=a, position=i) for i, (q, a) in enumerate(faqs, 1)
        )
        return course

    def cohort(self, course: Course, slug: str, name: str, *, start_week: int, price: str,
               capacity: int, sale_open: bool = False) -> Cohort:  # fmt: skip
        starts = self.at(weeks=start_week).date()
        first_lesson = self.at(weeks=start_week, days=1, hour=20)
        return Cohort.objects.create(
            course=course,
            slug=slug,
            name=name,
            starts_on=starts,
            ends_on=starts + timedelta(weeks=8, days=-1),
            capacity=capacity,
            price=Decimal(price),
            sale_open=sale_open,
            # Sold from five weeks before the start until the end of the first week.
            enrolment_opens_at=self.at(weeks=start_week - 5, hour=10),
            enrolment_closes_at=self.at(weeks=start_week + 1, hour=0),
            meeting_url="https://meeting.tencent.com/dm/demo-" + slug,
            entry_assessment_at=first_lesson - timedelta(days=2),
            enrollment_instructions=ENROLLMENT_INSTRUCTIONS.format(course=course.title, name=name),
        )

    def lead(
        self, created_at: datetime, *, status: str, source: str = Lead.Source.FORM, email_needed: bool = False
    ) -> Lead:
        name, email, phone = self.person()
        channel = self.channel()
        post = self.post(channel, created_at)
        attribution = {
            "channel": channel.key,
            "utm_source": channel.key,
            "utm_medium": channel.medium,
            "utm_campaign": post.campaign,
            "utm_content": post.content,
            "landing_page": f"/courses/{CAMPAIGN_COURSE[post.campaign]}/",
            "referrer": "" if channel.key == "referral" else f"https://{channel.key}.example/",
        }
        lead = Lead.objects.create(
            name=name,
            email=email if email_needed or self.rng.random() < 0.8 else "",
            phone=phone,
            wechat=f"wx_{email.split('@')[0].replace('.', '_')}" if self.rng.random() < 0.6 else "",
            message=self.rng.choice(LEAD_MESSAGES),
            consent_at=created_at,
            status=status,
            source=source,
            created_at=created_at,
            last_touch_at=created_at,
            **attribution,
        )
        LeadTouch.objects.create(
            lead=lead, kind=source, touched_at=created_at, message=lead.message, **attribution
        )
        self.summary.leads += 1
        return lead

    def consultation(
        self, lead: Lead, held_at: datetime, status: str = Consultation.Status.HELD
    ) -> Consultation:
        return Consultation.objects.create(
            lead=lead,
            kind=self.rng.choice([Consultation.Kind.TRIAL, Consultation.Kind.CALL]),
            scheduled_at=held_at,
            held_at=held_at if status == Consultation.Status.HELD else None,
            status=status,
            notes=self.rng.choice(CONSULTATION_NOTES) if status == Consultation.Status.HELD else "",
            created_at=held_at - timedelta(days=2),
        )

    def buyers(self, cohort: Cohort, *, count: int, paid_from: int, paid_to: int) -> list[Student]:
        students = []
        for _ in range(count):
            paid_at = self.jitter(self.at(weeks=paid_from), min(self.at(weeks=paid_to), self.now))
            held_at = paid_at - timedelta(days=self.rng.uniform(0.2, 3))
            lead = self.lead(
                held_at - timedelta(days=self.rng.uniform(1, 6)), status=Lead.Status.WON, email_needed=True
            )
            self.consultation(lead, held_at)
            user = User.objects.create_user(email=lead.email, name=lead.name)
            student = Student.objects.create(
                user=user, lead=lead, phone=lead.phone, wechat=lead.wechat, created_at=paid_at
            )
            enrollment = Enrollment.objects.create(student=student, cohort=cohort, enrolled_at=paid_at)
            Order.objects.create(
                lead=lead,
                user=user,
                cohort=cohort,
                buyer_name=lead.name,
                buyer_email=user.email,
                buyer_phone=lead.phone,
                amount=cohort.price,
                currency="CNY",
                status=Order.Status.PAID,
                provider=self.rng.choices(
                    [Provider.ALIPAY, Provider.WECHAT, Provider.MANUAL, Provider.STRIPE],
                    weights=[40, 35, 15, 10],
                )[0],
                provider_trade_no=f"DEMO{self.rng.randrange(10**15, 10**16)}",
                created_at=paid_at - timedelta(minutes=self.rng.randint(2, 20)),
                paid_at=paid_at,
                enrollment=enrollment,
            )
            won = {"from": Lead.Status.CONSULTING, "to": Lead.Status.WON}
            LeadNote.objects.create(
                lead=lead, kind=LeadNote.Kind.STATUS, body=LeadNote.describe(LeadNote.Kind.STATUS, won),
                facts=won, created_at=paid_at,
            )  # fmt: skip
            students.append(student)
            self.summary.students += 1
            self.summary.orders += 1
        return students

    def prospects(self, *, count: int) -> None:
        """Leads who have not bought (yet): the bulk of the funnel, spread over 12 weeks."""
        for _ in range(count):
            created_at = self.jitter(self.at(weeks=-12), self.now)
            age_days = (self.now - created_at).days
            roll = self.rng.random()
            if age_days < 4 and roll < 0.7:
                self.lead(created_at, status=Lead.Status.NEW)
                continue
            if roll < 0.25:
                lead = self.lead(created_at, status=Lead.Status.CONSULTING)
                held = created_at + timedelta(days=self.rng.uniform(1, 5))
                if held < self.now:
                    self.consultation(lead, held)
                else:
                    self.consultation(lead, held, status=Consultation.Status.SCHEDULED)
            elif roll < 0.33:
                lead = self.lead(created_at, status=Lead.Status.LOST)
                lead.lost_reason = self.rng.choice(
                    ["价格超出预算", "时间不合适", "选择了其他课程", "暂时不需要"]
                )
                lead.save(update_fields=["lost_reason"])
                held = created_at + timedelta(days=self.rng.uniform(1, 4))
                status = Consultation.Status.HELD if self.rng.random() < 0.7 else Consultation.Status.NO_SHOW
                if held < self.now:
                    self.consultation(lead, held, status)
            elif roll < 0.6:
                self.lead(created_at, status=Lead.Status.CONTACTED)
            else:
                self.lead(created_at, status=Lead.Status.NEW if age_days < 10 else Lead.Status.CONTACTED)

    def spam(self, *, count: int) -> None:
        for i in range(count):
            created_at = self.jitter(self.at(weeks=-6), self.now)
            Lead.objects.create(
                name=f"SEO 推广 {i + 1}",
                email=f"promo{i}@spam.example",
                message="低价外链、刷粉、代写，加微信了解",
                is_spam=True,
                status=Lead.Status.NEW,
                created_at=created_at,
                consent_at=created_at,
            )

    def lessons_only(self, cohort: Cohort, *, weeks: int) -> list[Lesson]:
        lessons = []
        start = timezone.make_aware(
            datetime.combine(cohort.starts_on, datetime.min.time()), self.monday.tzinfo
        )
        for week in range(weeks):
            for day, hour, kind in ((1, 20, "直播课"), (3, 20, "答疑")):
                lessons.append(
                    Lesson.objects.create(
                        cohort=cohort,
                        title=f"第 {week + 1} 周 · {kind}"
                        + (f"：{PLANS[cohort.course.slug][0][week]}" if kind == "直播课" else ""),
                        starts_at=start + timedelta(weeks=week, days=day, hours=hour),
                        duration_minutes=90 if kind == "直播课" else 60,
                        meeting_url="https://meeting.tencent.com/dm/demo-" + cohort.slug,
                    )
                )
                self.summary.lessons += 1
        return lessons

    def teach(self, cohort: Cohort, students: list[Student], *, weeks: int, dropouts: int) -> None:
        lessons = self.lessons_only(cohort, weeks=weeks)
        start = lessons[0].starts_at - timedelta(days=1, hours=20)
        diligence = {s.pk: self.rng.uniform(0.7, 0.98) for s in students}
        dropped = {s.pk for s in students[-dropouts:]} if dropouts else set()
        for lesson in lessons:
            if lesson.starts_at > self.now:
                break
            week = (lesson.starts_at - start).days // 7
            rows = []
            for student in students:
                gone = student.pk in dropped and week >= 3
                roll = self.rng.random()
                if gone or roll > diligence[student.pk] + 0.05:
                    if self.rng.random() < 0.5:
                        continue  # nobody ticked them: a missing record counts as absent
                    status = Attendance.Status.ABSENT
                elif roll > diligence[student.pk] - 0.1:
                    status = Attendance.Status.PARTIAL
                else:
                    status = Attendance.Status.FULL
                rows.append(
                    Attendance(
                        lesson=lesson,
                        student=student,
                        status=status,
                        recorded_at=lesson.starts_at + timedelta(hours=2),
                    )
                )
            Attendance.objects.bulk_create(rows)

        for week, assignment in enumerate(self.assignments(cohort, start, weeks)):
            due = assignment.due_at
            if due - timedelta(days=5) > self.now:
                continue
            for student in students:
                if student.pk in dropped and week >= 3:
                    continue
                if self.rng.random() > diligence[student.pk]:
                    continue
                self.submit(assignment, student, due)
        self.assess(cohort, students, start, weeks, dropped)

    def assignments(self, cohort: Cohort, start: datetime, weeks: int) -> list[Assignment]:
        """One homework a week on the course's own topics, due Sunday 22:00; the last one is the
        graduation project."""
        topics = PLANS[cohort.course.slug][1]
        made = []
        for week in range(weeks):
            due = start + timedelta(weeks=week, days=6, hours=22)
            is_final = week == weeks - 1
            made.append(
                Assignment.objects.create(
                    cohort=cohort,
                    title=("毕业项目：" if is_final else f"第 {week + 1} 周作业：") + topics[week],
                    instructions=ASSIGNMENT_INSTRUCTIONS.format(topic=topics[week]),
                    standard=ASSIGNMENT_STANDARD,
                    due_at=due,
                    pass_mark=Decimal("60"),
                    is_graduation_project=is_final,
                    created_at=due - timedelta(days=7),
                )
            )
        return made

    def submit(self, assignment: Assignment, student: Student, due: datetime) -> None:
        late = self.rng.random() < 0.1
        submitted_at = (
            due + timedelta(hours=self.rng.uniform(2, 40))
            if late
            else due - timedelta(hours=self.rng.uniform(1, 96))
        )
        if submitted_at > self.now:
            return
        score = Decimal(max(20, min(100, round(self.rng.gauss(76, 12)))))
        graded_at = submitted_at + timedelta(hours=self.rng.uniform(12, 72))
        graded = graded_at <= self.now
        first = Submission.objects.create(
            assignment=assignment,
            student=student,
            attempt=1,
            text=self.rng.choice(SUBMISSION_TEXTS),
            link=f"https://github.com/demo-{student.pk}/{assignment.cohort.slug}-w{assignment.pk}",
            submitted_at=submitted_at,
            late=late,
            score=score if graded else None,
            passed=(score >= assignment.pass_mark) if graded else None,
            feedback=self.feedback_for(score, assignment.pass_mark) if graded else "",
            graded_at=graded_at if graded else None,
            is_showcase=graded and assignment.is_graduation_project and score >= 88,
        )
        self.summary.submissions += 1
        if graded and not first.passed and self.rng.random() < 0.6:
            again = graded_at + timedelta(hours=self.rng.uniform(6, 48))
            if again <= self.now:
                regraded = again + timedelta(hours=24)
                better = min(Decimal(100), score + Decimal(self.rng.randint(15, 30)))
                done = regraded <= self.now
                Submission.objects.create(
                    assignment=assignment,
                    student=student,
                    attempt=2,
                    text="根据反馈修改后重新提交：" + first.text,
                    link=first.link,
                    submitted_at=again,
                    late=again > assignment.due_at,
                    score=better if done else None,
                    passed=(better >= assignment.pass_mark) if done else None,
                    feedback=self.feedback_for(better, assignment.pass_mark) if done else "",
                    graded_at=regraded if done else None,
                )
                self.summary.submissions += 1

    def feedback_for(self, score: Decimal, pass_mark: Decimal) -> str:
        if score >= 95:
            return FEEDBACK_TEMPLATES[3][1]
        if score >= pass_mark:
            return FEEDBACK_TEMPLATES[0][1]
        return self.rng.choice([FEEDBACK_TEMPLATES[1][1], FEEDBACK_TEMPLATES[2][1]])

    def assess(
        self, cohort: Cohort, students: list[Student], start: datetime, weeks: int, dropped: set[int]
    ) -> None:
        moments = [
            (Assessment.Kind.ENTRY, start + timedelta(days=1, hours=19)),
            (Assessment.Kind.STAGE, start + timedelta(weeks=weeks // 2, days=1, hours=19)),
            (Assessment.Kind.GRADUATION, start + timedelta(weeks=weeks - 1, days=5, hours=19)),
        ]
        for index, student in enumerate(students):
            entry = Decimal(max(10, min(80, round(self.rng.gauss(48, 12)))))
            gains = {
                Assessment.Kind.ENTRY: 0,
                Assessment.Kind.STAGE: self.rng.gauss(12, 9),
                Assessment.Kind.GRADUATION: self.rng.gauss(26, 10),
            }
            for kind, taken_at in moments:
                if taken_at > self.now or (student.pk in dropped and kind != Assessment.Kind.ENTRY):
                    continue
                score = Decimal(max(0, min(100, round(float(entry) + gains[kind]))))
                passed = score >= 70 if kind == Assessment.Kind.GRADUATION else None
                Assessment.objects.create(
                    student=student, cohort=cohort, kind=kind, score=score, passed=passed, taken_at=taken_at
                )
                self.summary.assessments += 1
                if kind == Assessment.Kind.GRADUATION and passed:
                    Enrollment.objects.filter(student=student, cohort=cohort).update(
                        status=Enrollment.Status.GRADUATED, graduated_at=taken_at, ended_at=taken_at
                    )
                    self.report(cohort, student, taken_at, index)

    def report(self, cohort: Cohort, student: Student, graduated_at: datetime, index: int) -> None:
        """A graduate's report: most publish it (by the student's place in the cohort, not their
        id, so that the demo is the same every time)."""
        enrollment = Enrollment.objects.get(student=student, cohort=cohort)
        published = index % 5 != 4
        GraduationReport.objects.create(
            enrollment=enrollment,
            closing_feedback=CLOSING_FEEDBACK[index % len(CLOSING_FEEDBACK)],
            is_published=published,
            published_at=graduated_at + timedelta(days=1) if published else None,
            created_at=graduated_at,
        )

    def showcase_best(self, cohort: Cohort) -> None:
        """The teacher picks the four best graduation projects of the cohort's graduates as
        优秀案例; three of them agree to show theirs on the course page, one keeps it private."""
        best = list(
            Submission.objects.filter(
                assignment__cohort=cohort,
                assignment__is_graduation_project=True,
                graded_at__isnull=False,
                student__enrollments__cohort=cohort,
                student__enrollments__status=Enrollment.Status.GRADUATED,
            ).order_by("-score", "pk")[:4]
        )
        Submission.objects.filter(pk__in=[s.pk for s in best]).update(is_showcase=True)
        for submission in best[:3]:
            GraduationReport.objects.filter(
                enrollment__cohort=cohort, enrollment__student_id=submission.student_id
            ).update(shares_work=True, shares_work_at=submission.graded_at)

    def referrals(self, cohort: Cohort) -> None:
        """Friends of the first cohort's graduates: the referral leads that came after the
        graduation are credited to one of them, through their code, as a real link would."""
        graduates = list(
            Enrollment.objects.filter(cohort=cohort, status=Enrollment.Status.GRADUATED)
            .select_related("student")
            .order_by("pk")
        )
        if not graduates:
            return
        since = min(e.graduated_at for e in graduates if e.graduated_at)
        for lead in Lead.objects.filter(channel="referral", created_at__gt=since).order_by("pk"):
            referrer = self.rng.choice(graduates).student
            Lead.objects.filter(pk=lead.pk).update(referred_by=referrer, referral_code=referrer.referral_code)
            LeadTouch.objects.filter(lead=lead, channel="referral").update(
                referral_code=referrer.referral_code
            )

    def refunds(self, finished: Cohort, running: Cohort) -> None:
        """One full refund in the running cohort (week 2), one partial in the finished one."""
        order = Order.objects.filter(cohort=running, status=Order.Status.PAID).earliest("paid_at")
        assert order.paid_at is not None  # a paid order
        refunded_at = max(order.paid_at, self.at(weeks=-4, days=2, hour=15))
        Refund.objects.create(
            order=order, amount=order.amount, reason="工作调动，无法继续学习", status=Refund.Status.SUCCEEDED,
            out_refund_no=f"RF{order.number[2:]}1", provider_refund_id=f"DEMO-RF-{order.pk}", created_at=refunded_at,
            refunded_at=refunded_at,
        )  # fmt: skip
        order.status = Order.Status.REFUNDED
        order.save(update_fields=["status"])
        Enrollment.objects.filter(pk=order.enrollment_id or 0).update(
            status=Enrollment.Status.REFUNDED, ended_at=refunded_at
        )

        order = Order.objects.filter(cohort=finished, status=Order.Status.PAID).latest("paid_at")
        refunded_at = self.at(weeks=-1, days=3, hour=11)
        Refund.objects.create(
            order=order, amount=money(500), reason="缺席两周直播，协商部分退款", status=Refund.Status.SUCCEEDED,
            out_refund_no=f"RF{order.number[2:]}1", provider_refund_id=f"DEMO-RF-{order.pk}", created_at=refunded_at,
            refunded_at=refunded_at,
        )  # fmt: skip
        order.status = Order.Status.PARTIALLY_REFUNDED
        order.save(update_fields=["status"])

    def open_orders(self, cohort: Cohort) -> None:
        """A buyer who is paying right now, and one who gave up (expired)."""
        for minutes_ago, status in ((5, Order.Status.PENDING), (60 * 30, Order.Status.EXPIRED)):
            created_at = self.now - timedelta(minutes=minutes_ago)
            lead = self.lead(
                created_at - timedelta(minutes=3), status=Lead.Status.CONSULTING, source=Lead.Source.CHECKOUT
            )
            Order.objects.create(
                lead=lead, cohort=cohort, buyer_name=lead.name, buyer_email=lead.email, buyer_phone=lead.phone,
                amount=cohort.price, currency="CNY", status=status, provider=Provider.ALIPAY, created_at=created_at,
                expires_at=created_at + timedelta(minutes=30),
                closed_at=created_at + timedelta(minutes=30) if status == Order.Status.EXPIRED else None,
            )  # fmt: skip
            self.summary.orders += 1

    def follow_ups(self) -> None:
        """Leads the founder means to contact again (two overdue, three today, the rest later)
        and two consultations booked for today and tomorrow evening: what 今天 lists."""
        rng = random.Random(SEED + 14)  # its own: the rest of the demo is the same without it
        today = timezone.localdate(self.now)
        open_leads = list(
            Lead.objects.filter(
                is_spam=False, status__in=[Lead.Status.CONTACTED, Lead.Status.CONSULTING]
            ).order_by("pk")
        )
        chosen = rng.sample(open_leads, min(9, len(open_leads)))
        for lead, days in zip(chosen, [-3, -1, 0, 0, 0, 1, 2, 4, 7], strict=False):
            lead.next_follow_up_on = today + timedelta(days=days)
        Lead.objects.bulk_update(chosen, ["next_follow_up_on"])
        consulting = [
            lead for lead in open_leads if lead.status == Lead.Status.CONSULTING and lead not in chosen
        ]
        for lead, days, hour, minute in zip(consulting, (0, 1), (20, 19), (0, 30), strict=False):
            day = today + timedelta(days=days)
            Consultation.objects.create(
                lead=lead,
                kind=Consultation.Kind.TRIAL if days else Consultation.Kind.CALL,
                scheduled_at=datetime.combine(
                    day, time(hour, minute), tzinfo=timezone.get_default_timezone()
                ),
                meeting_url=f"https://meeting.tencent.com/dm/demo{lead.pk}",
                created_at=self.now - timedelta(days=1),
            )


def demo_is_loaded() -> bool:
    return Course.objects.filter(slug__in=DEMO_COURSE_SLUGS).exists()


def demo_load(now: datetime | None = None) -> DemoSummary | None:
    """Load the demo business once; None when it is already there."""
    if demo_is_loaded():
        return None
    summary = DemoBuilder(now).build()
    # The dashboard opens on history: freeze the twelve weeks the demo spans.

    weekly_metrics_backfill_recent(weeks=12)
    return summary


LESSON_TOPICS = [
    "开营与环境搭建",
    "提示词与需求拆解",
    "写出第一个接口",
    "数据与存储",
    "调用大模型 API",
    "前端与交互",
    "部署上线",
    "毕业项目答辩",
]
ASSIGNMENT_TOPICS = [
    "搭好开发环境并提交截图",
    "把一个需求拆成任务清单",
    "完成一个可调用的接口",
    "设计并实现数据表",
    "接入一个大模型功能",
    "做出可交互的页面",
    "把项目部署到公网",
    "完整可演示的 AI 应用",
]
DATA_LESSON_TOPICS = [
    "开营与分析思维",
    "SQL 取数：查询与筛选",
    "SQL 进阶：连接与分组",
    "pandas 数据清洗",
    "指标体系与拆解",
    "可视化：让图表说话",
    "写一页老板看得懂的报告",
    "毕业项目答辩",
]
DATA_ASSIGNMENT_TOPICS = [
    "装好环境并跑通第一条查询",
    "用 SQL 回答三个业务问题",
    "用连接和分组算出各渠道复购率",
    "清洗一份脏数据并记录步骤",
    "为一个业务搭一套核心指标",
    "做出 3 张能讲清结论的图表",
    "写一页结论摘要",
    "基于真实数据的完整分析报告",
]
PLANS = {
    "ai-coding": (LESSON_TOPICS, ASSIGNMENT_TOPICS),
    "data-analysis": (DATA_LESSON_TOPICS, DATA_ASSIGNMENT_TOPICS),
}
CLOSING_FEEDBACK = [
    "8 周里你每周都按时交付，毕业项目完成度很高。保持这个节奏，下一个作品会更好。",
    "从入学测评到毕业，你的进步非常明显，尤其是把问题拆清楚的能力。祝贺毕业！",
    "你的作业总是认真对照标准自查，这是最难得的习惯。期待看到你把它用在工作里。",
]
ASSIGNMENT_INSTRUCTIONS = """## 任务

本周的作业是：**{topic}**。

1. 阅读本周课件和直播回放；
2. 按下面的“作业标准”完成并自查；
3. 提交链接（GitHub / 在线文档）或文件，附上 3 句话的说明。

> 有问题先在群里提问，周四答疑会统一讲解。
"""
ASSIGNMENT_STANDARD = """- 能直接运行或打开（附运行步骤）
- 回答了题目要求的每一个问题
- 有一段不超过 200 字的复盘：遇到了什么问题、怎么解决的"""
ENROLLMENT_INSTRUCTIONS = """欢迎加入「{course}」{name}！

1. 用报名邮箱登录学习页面，查看课表和作业标准；
2. 开营前看一遍第一周的课件，带着问题来上第一节课。"""
AI_COURSE = {
    "tagline": "8 周，从零做出并上线你的第一个 AI 应用",
    "audience": """- 想用 AI 工具把想法做成产品、但不知道从哪开始的人；
- 有一点编程基础，想系统补齐“从需求到上线”全流程的人；
- 产品经理、运营、设计师：想自己动手做出可演示的原型。""",
    "outcomes": """- 一个**已上线、可公开访问**的 AI 应用，写进简历和作品集；
- 每周一次直播课 + 一次集中答疑，每周都有可验证的交付物；
- 每份作业都有明确的作业标准和一对一批改反馈；
- 入学、阶段、毕业三次测评，用数据看见自己的进步。""",
    "description": """### 上课方式

每周二 20:00 直播课（90 分钟），每周四 20:00 答疑（60 分钟），都有回放。每周预计投入 6–8 小时。

### 8 周安排

从需求拆解、提示词与 API 调用、前后端最小实现，到部署上线和毕业展示：每周一个主题、一份作业。""",
    "graduation_standard": """独立完成并上线一个可演示的 AI 应用：

- 公开网址可以访问，核心功能可用；
- 附 README：解决什么问题、怎么运行、用到了哪些 AI 能力；
- 毕业测评 70 分及以上。""",
    "teacher_name": "陈老师",
    "teacher_bio": "前互联网公司全栈工程师，10 年开发经验，近两年专注 AI 应用落地，已带 300+ 名学员做出自己的第一个产品。",
    "faqs": [
        (
            "零基础能学吗？",
            "能跟上，但需要多花时间：第 1 周会带你装好环境、跑通第一个程序。完全没写过代码的同学，建议先上一节体验课。",
        ),
        (
            "工作很忙，每周要投入多少时间？",
            "直播 + 答疑约 2.5 小时，作业 4–6 小时。直播都有回放，错过可以补看。",
        ),
        ("作业谁来批改？", "每份作业都由老师按作业标准批改，给出分数和具体的修改建议；没通过可以改了再交。"),
        ("可以开发票吗？", "可以，付款后在学习群里联系助教，提供抬头和税号即可。"),
    ],
}
DATA_COURSE = {
    "tagline": "用 Python 和 SQL 做出老板看得懂的分析报告",
    "audience": """- 运营、产品、财务等每天和数据打交道，却总被 Excel 卡住的人；
- 想从“会做表”进阶到“会分析、会讲结论”的职场人。""",
    "outcomes": """- 用 **SQL** 从数据库里取数，用 Python（pandas）清洗和分析；
- 把分析变成一页老板看得懂的结论和图表；
- 8 周 8 份作业，每份都有批改和统一反馈模板；
- 一份基于真实业务数据的分析报告，可以直接用在工作中。""",
    "description": """### 上课方式

每周二 20:00 直播课，每周四 20:00 答疑，都有回放。课程数据来自电商、内容平台的脱敏真实数据。

### 8 周安排

SQL 取数 → pandas 清洗 → 指标体系 → 可视化 → 分析报告写作 → 毕业项目答辩。""",
    "graduation_standard": """完成一份基于真实数据的分析报告：

- 提出一个业务问题，用 SQL + Python 得出结论；
- 至少 3 张清晰的图表，一页结论摘要；
- 毕业测评 70 分及以上。""",
    "teacher_name": "周老师",
    "teacher_bio": "8 年数据分析经验，曾任电商平台数据分析负责人，擅长把复杂数据讲成一句话结论。",
    "faqs": [
        ("需要会编程吗？", "不需要。SQL 和 Python 都从零讲起，第 1 周就能写出第一条查询。"),
        (
            "和自学有什么不同？",
            "每周有作业和批改，有人盯着你把每一步做完；同学之间的分析报告也可以互相参考。",
        ),
        ("电脑配置有要求吗？", "普通笔记本即可，Windows 和 Mac 都可以，第 1 周会带你装好环境。"),
    ],
}
LEAD_MESSAGES = [
    "想了解下一期什么时候开课",
    "零基础可以学吗？",
    "工作比较忙，每周需要投入多少时间？",
    "可以开发票吗？",
    "",
    "",
    "有没有体验课？",
    "之前学过一点 Python",
]
CONSULTATION_NOTES = [
    "目标明确，想转岗做 AI 应用开发，预算没问题。",
    "担心时间不够，已说明有回放。",
    "对比了其他课程，重点关注作业批改。",
    "体验课表现积极，问了很多实操问题。",
]
SUBMISSION_TEXTS = [
    "已完成，运行步骤写在 README 里。",
    "这周卡在环境配置上，最后用 Docker 解决了。",
    "按作业标准逐条自查过，附上截图。",
    "实现了基础功能，加分项还没来得及做。",
]
