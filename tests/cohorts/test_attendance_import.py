"""Attendance from the meeting platform: the sample exports of 腾讯会议 (XLSX, title rows above
the column titles, a masked phone, a participant who left and came back) and Zoom (CSV with a
BOM, e-mails, overlapping join–leave times) read, matched, previewed and saved through HTTP as
the founder; manual matches remembered; a second import changes nothing; bad files refused with
the missing columns named."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cohorts.attendance_import import _minutes, participants_read
from cohorts.models import Attendance, AttendanceAlias, Cohort
from tests import factories as f

SAMPLES = Path(__file__).parent / "samples"


@pytest.fixture
def lesson(db):
    cohort = f.make_cohort(name="第 3 期")
    lesson = f.make_lesson(cohort, title="第 3 课：用 AI 写测试", duration_minutes=90,
                           starts_at=timezone.now() - timedelta(hours=2))  # fmt: skip
    people = {
        "mei": f.make_student(f.make_user(name="韩梅梅", email="mei@example.com"), phone="+8613900001111"),
        "lei": f.make_student(f.make_user(name="李雷", email="lilei@example.com")),
        "fang": f.make_student(f.make_user(name="王芳", email="fang@example.com")),
        "wei": f.make_student(f.make_user(name="张伟", email="wei@example.com")),
    }
    for student in people.values():
        f.make_enrollment(student, cohort)
    lesson.people = people
    return lesson


def upload(client, lesson, name: str, content: bytes | None = None):
    data = content if content is not None else (SAMPLES / name).read_bytes()
    return client.post(
        f"/console/lessons/{lesson.pk}/attendance/upload/", {"file": SimpleUploadedFile(name, data)}
    )


def preview(client, lesson, **data):
    url = f"/console/lessons/{lesson.pk}/attendance/import/"
    return client.post(url, data) if data else client.get(url)


def statuses(lesson) -> dict[str, str]:
    names = {s.pk: key for key, s in lesson.people.items()}
    return {names[a.student_id]: a.status for a in Attendance.objects.filter(lesson=lesson)}


def line_of(response, key: str, lesson):
    student = lesson.people[key]
    return next(
        line for line in response.context["preview"].lines if line.enrollment.student_id == student.pk
    )


def test_a_tencent_meeting_export_is_matched_previewed_and_saved(founder_client, lesson):
    response = upload(founder_client, lesson, "tencent_meeting.xlsx")
    assert response.status_code == 302 and response["Location"].endswith("/attendance/import/")

    page = preview(founder_client, lesson)
    assert page.status_code == 200
    mei = line_of(page, "mei", lesson)
    assert (mei.how, mei.minutes, mei.status) == ("phone", 88, "full")  # 139****1111: the one 139…1111
    lei = line_of(page, "lei", lesson)
    assert (lei.how, lei.minutes, lei.status) == ("name", 75, "full")  # two rows: 40 + 35 minutes
    fang = line_of(page, "fang", lesson)
    assert (fang.minutes, fang.percent, fang.status) == (20, 22, "absent")  # under 30 %
    wei = line_of(page, "wei", lesson)
    assert (wei.how, wei.status) == ("", "absent")
    unmatched = [person.name for _index, person in page.context["preview"].unmatched]
    assert unmatched == ["创始人", "张伟的iPad"]
    html = page.content.decode()
    assert "张伟的iPad" in html and "not a student" not in html and "不是学员" in html
    assert Attendance.objects.count() == 0  # a preview saves nothing

    index = next(i for i, person in page.context["preview"].unmatched if person.name == "张伟的iPad")
    response = preview(founder_client, lesson, full_percent=80, partial_percent=30,
                       **{f"match_{index}": str(lesson.people["wei"].pk)}, action="save")  # fmt: skip
    assert response.status_code == 302
    assert statuses(lesson) == {"mei": "full", "lei": "full", "fang": "absent", "wei": "partial"}  # 60 of 90
    assert AttendanceAlias.objects.get().student == lesson.people["wei"]


def test_a_second_import_of_the_same_file_changes_nothing(founder_client, lesson):
    upload(founder_client, lesson, "tencent_meeting.xlsx")
    page = preview(founder_client, lesson)
    index = next(i for i, person in page.context["preview"].unmatched if person.name == "张伟的iPad")
    preview(founder_client, lesson, full_percent=80, partial_percent=30,
            **{f"match_{index}": str(lesson.people["wei"].pk)}, action="save")  # fmt: skip
    before = {a.pk: (a.status, a.recorded_at) for a in Attendance.objects.all()}

    upload(founder_client, lesson, "tencent_meeting.xlsx")
    page = preview(founder_client, lesson)
    assert line_of(page, "wei", lesson).how == "remembered"  # the manual match, remembered
    assert page.context["preview"].changed == 0
    response = preview(founder_client, lesson, full_percent=80, partial_percent=30, action="save")

    assert response.status_code == 302
    assert {a.pk: (a.status, a.recorded_at) for a in Attendance.objects.all()} == before
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("0 条有变化" in m for m in messages), messages


def test_a_zoom_export_matches_by_e_mail_and_counts_overlaps_once(founder_client, lesson):
    assert upload(founder_client, lesson, "zoom_participants.csv").status_code == 302
    page = preview(founder_client, lesson)
    mei = line_of(page, "mei", lesson)
    assert (mei.how, mei.status) == ("email", "full")
    lei = line_of(page, "lei", lesson)
    assert (lei.how, lei.minutes) == ("email", 78)  # 20:02–20:50 and 20:45–21:20, five minutes counted once
    assert line_of(page, "fang", lesson).status == "partial"  # 50 of 90 minutes
    assert [person.name for _i, person in page.context["preview"].unmatched] == ["Founder (创始人)"]

    # Stricter thresholds, shown again, then saved, and kept for the cohort's next lessons.
    page = preview(founder_client, lesson, full_percent=90, partial_percent=60, action="preview")
    assert (
        line_of(page, "lei", lesson).status == "partial" and line_of(page, "fang", lesson).status == "absent"
    )
    preview(founder_client, lesson, full_percent=90, partial_percent=60, action="save")
    assert statuses(lesson) == {"mei": "full", "lei": "partial", "fang": "absent", "wei": "absent"}
    cohort = Cohort.objects.get(pk=lesson.cohort_id)
    assert (cohort.attendance_full_percent, cohort.attendance_partial_percent) == (90, 60)


def test_a_gbk_csv_with_durations_in_words_is_read(db):
    text = "参会成员明细\n用户昵称,参会时长,手机号\n韩梅梅,1小时2分钟30秒,13900001111\n李雷,45分钟,\n"
    people = participants_read(SimpleUploadedFile("会议.csv", text.encode("gbk")))
    assert [(p.name, round(p.minutes, 1), p.phone) for p in people] == [
        ("韩梅梅", 62.5, "13900001111"),
        ("李雷", 45.0, ""),
    ]


@pytest.mark.parametrize(
    ("value", "unit", "minutes"),
    [(88, "", 88), ("1:05:30", "", 65.5), ("1小时5分钟", "", 65), ("3600", "秒", 60), ("1.5", "小时", 90),
     ("25 mins", "", 25), ("", "", None), ("n/a", "", None)],
)  # fmt: skip
def test_durations_as_the_platforms_write_them(value, unit, minutes):
    assert _minutes(value, unit) == minutes


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("leads.csv", "姓名,邮箱\n韩梅梅,mei@example.com\n".encode(), "参会时长"),
        ("other.csv", b"foo,bar\n1,2\n", "用户昵称"),
        ("broken.xlsx", b"PK\x03\x04 not really a workbook", "XLSX"),
        ("empty.csv", "用户昵称,参会时长\n".encode(), "没有参会者"),
    ],
    ids=["no-duration", "nothing-known", "not-xlsx", "no-rows"],
)
def test_a_file_of_another_shape_is_refused_next_to_the_field(founder_client, lesson, name, content, says):
    response = upload(founder_client, lesson, name, content)

    assert response.status_code == 400
    errors = response.context["upload"].errors["file"]
    assert any(says in error for error in errors), errors
    assert says in response.content.decode()
    assert f"attendance_import:{lesson.pk}" not in founder_client.session
    assert Attendance.objects.count() == 0


def test_thresholds_out_of_order_are_refused_and_nothing_saved(founder_client, lesson):
    upload(founder_client, lesson, "zoom_participants.csv")
    response = preview(founder_client, lesson, full_percent=50, partial_percent=70, action="save")
    assert response.status_code == 400
    assert response.context["form"].errors["partial_percent"]
    assert Attendance.objects.count() == 0


def test_the_preview_without_an_upload_sends_back_to_the_lesson(founder_client, lesson):
    response = preview(founder_client, lesson)
    assert response.status_code == 302 and response["Location"].endswith("/attendance/")


def test_students_and_strangers_cannot_import(client, student_client, lesson):
    content = (SAMPLES / "zoom_participants.csv").read_bytes()
    assert upload(student_client, lesson, "zoom_participants.csv", content).status_code == 403
    assert upload(client, lesson, "zoom_participants.csv", content).status_code == 302
    assert student_client.get(f"/console/lessons/{lesson.pk}/attendance/import/").status_code == 403
