"""Attendance from the meeting platform: a lesson's participant export from 腾讯会议 or Zoom
(CSV or XLSX, as those platforms write it) read into minutes per participant, matched to the
students expected at the lesson, and turned into full / partial / absent by the cohort's
thresholds. Reading and matching change nothing; `cohorts.services.attendance_import_save`
writes the result.

The columns are found by their titles, wherever the title row is (腾讯会议 puts the meeting's
subject and number above it): a participant's name, and either a duration or join and leave
times; e-mail and phone when the platform has them. A participant who left and came back has
several rows: their minutes add up (overlapping join–leave times counted once).
"""

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cohorts.models import Attendance, AttendanceAlias, Cohort, Enrollment, Lesson

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
HEADER_SEARCH_ROWS = 20

# Column titles as the platforms write them, compared without spaces, case or a bracketed unit.
COLUMNS = {
    "name": ("用户昵称", "入会昵称", "昵称", "参会者", "参会人", "参会成员", "成员", "姓名", "名称", "名字",
             "name", "username", "participant", "participantname", "displayname"),
    "email": ("邮箱", "电子邮箱", "电子邮件", "邮箱地址", "email", "useremail", "e-mail", "emailaddress"),
    "phone": ("手机号", "手机号码", "手机", "电话", "电话号码", "phone", "phonenumber", "mobile"),
    "join": ("入会时间", "首次入会时间", "加入时间", "进入时间", "jointime", "join"),
    "leave": ("离会时间", "退会时间", "最后离会时间", "离开时间", "leavetime", "leave"),
    "duration": ("参会时长", "累计参会时长", "在会时长", "入会时长", "时长", "duration", "durationminutes",
                 "totalduration", "timeattended"),
}  # fmt: skip
COLUMN_WORDS = {
    "name": gettext_lazy("participant name (用户昵称 / Name)"),
    "duration": gettext_lazy("duration (参会时长 / Duration), or join and leave times (入会时间 and 离会时间 / Join Time and Leave Time)"),
}  # fmt: skip
TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
    "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M",
)  # fmt: skip


@dataclass
class Participant:
    """One person in the export, their rows added up."""

    name: str
    email: str = ""
    phone: str = ""
    minutes: float = 0.0
    intervals: list[tuple[datetime, datetime]] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "email": self.email,
            "phone": self.phone,
            "minutes": round(self.minutes, 1),
        }

    @classmethod
    def from_json(cls, data: dict) -> "Participant":
        return cls(name=data["name"], email=data["email"], phone=data["phone"], minutes=data["minutes"])


def _title(value) -> tuple[str, str]:
    """A column title without spaces, case and bracketed part; and that bracketed part (a unit)."""
    text = str(value or "").strip().lower()
    unit = " ".join(re.findall(r"[(（]([^)）]*)[)）]", text))
    return re.sub(r"[(（][^)）]*[)）]|[\s_:：]", "", text), unit


def _columns(row: list) -> dict[str, tuple[int, str]]:
    """{"name": (index, unit), …} of the columns this row titles."""
    found: dict[str, tuple[int, str]] = {}
    for index, cell in enumerate(row):
        title, unit = _title(cell)
        for key, words in COLUMNS.items():
            if key not in found and title in words:
                found[key] = (index, unit)
    return found


def _usable(found: dict) -> bool:
    return "name" in found and ("duration" in found or ("join" in found and "leave" in found))


def _rows_csv(raw: bytes) -> list[list]:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = raw.decode("utf-16")
    else:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:  # gb18030 decodes any byte sequence; kept for the type checker
            raise ValidationError(_("The file is not text."))
    sample = text[:4096]
    delimiter = max(",\t;", key=sample.count)
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def _rows_xlsx(raw: bytes) -> list[list]:
    import openpyxl  # noqa: PLC0415 - only an import of a spreadsheet needs it

    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ValidationError(_("This is not a readable XLSX file (%(e)s).") % {"e": exc}) from None
    try:
        sheets = [
            [
                list(row)
                for row in sheet.iter_rows(max_row=MAX_ROWS + HEADER_SEARCH_ROWS + 1, values_only=True)
            ]
            for sheet in book.worksheets
        ]
    finally:
        book.close()
    # The sheet with the participants (an export may have a summary sheet first).
    return next(
        (rows for rows in sheets if any(_usable(_columns(r)) for r in rows[:HEADER_SEARCH_ROWS])),
        sheets[0] if sheets else [],
    )


def _minutes(value, unit: str) -> float | None:
    """A duration cell: a number in the column's unit, or 1:05:30, or 1小时5分30秒 / 65 min."""
    if value is None or value == "":
        return None
    if isinstance(value, timedelta):
        return value.total_seconds() / 60
    if isinstance(value, int | float | Decimal):
        number = float(value)
    else:
        text = str(value).strip().lower()
        if re.fullmatch(r"\d+:\d{1,2}:\d{1,2}", text):
            hours, minutes, seconds = (int(part) for part in text.split(":"))
            return hours * 60 + minutes + seconds / 60
        if re.fullmatch(r"\d+:\d{1,2}", text):
            hours, minutes = (int(part) for part in text.split(":"))
            return hours * 60 + minutes
        parts = re.findall(
            r"(\d+(?:\.\d+)?)\s*(小时|时|h|hours?|hrs?|分钟|分|m|mins?|minutes?|秒|s|secs?|seconds?)", text
        )
        if parts:
            total = 0.0
            for amount, word in parts:
                scale = 60 if word[0] in "小时h" else 1 / 60 if word[0] in "秒s" else 1
                total += float(amount) * scale
            return total
        try:
            number = float(text)
        except ValueError:
            return None
    if "秒" in unit or "sec" in unit:
        return number / 60
    if "小时" in unit or "hour" in unit:
        return number * 60
    return number


def _time(value) -> datetime | None:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    text = str(value or "").strip()
    for pattern in TIME_FORMATS:
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


def _merged_minutes(intervals: list[tuple[datetime, datetime]]) -> float:
    total, end = 0.0, None
    for start, stop in sorted(intervals):
        if end is not None and start < end:
            start = end
        if stop > start:
            total += (stop - start).total_seconds() / 60
            end = stop if end is None else max(end, stop)
    return total


def _key(name: str, email: str, phone: str) -> str:
    return email or phone or name_key(name)


def name_key(name: str) -> str:
    """A name as compared: no spaces, case or bracketed part (Zoom's "Name (Original Name)")."""
    return re.sub(r"[(（][^)）]*[)）]|\s", "", name).lower()


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone or "")[-11:]


def participants_read(upload) -> list[Participant]:
    """The participants of an uploaded export. ValidationError names what is wrong."""
    if upload.size > MAX_BYTES:
        raise ValidationError(_("The file is larger than 5 MB: is it a participant export?"))
    raw = upload.read()
    is_xlsx = raw[:2] == b"PK"
    rows = _rows_xlsx(raw) if is_xlsx else _rows_csv(raw)
    header_at, found = next(
        ((i, _columns(row)) for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]) if _usable(_columns(row))),
        (None, {}),
    )
    if header_at is None:
        best = max((_columns(row) for row in rows[:HEADER_SEARCH_ROWS]), key=len, default={})
        missing = [str(COLUMN_WORDS["name"])] if "name" not in best else []
        if "duration" not in best and not ("join" in best and "leave" in best):
            missing.append(str(COLUMN_WORDS["duration"]))
        raise ValidationError(
            _("This file has no column for: %(missing)s. Export the participant list (参会成员明细 in 腾讯会议, Participants in Zoom) and upload that file.")
            % {"missing": _("; ").join(missing)}
        )  # fmt: skip
    by_key: dict[str, Participant] = {}
    body = rows[header_at + 1 : header_at + 1 + MAX_ROWS]
    if len(rows) - header_at - 1 > MAX_ROWS:
        raise ValidationError(
            _("More than %(n)s participant rows: is this one lesson's export?") % {"n": MAX_ROWS}
        )

    def cell(row: list, key: str):
        index = found.get(key, (None, ""))[0]
        return row[index] if index is not None and index < len(row) else None

    for row in body:
        name = str(cell(row, "name") or "").strip()
        if not name:
            continue
        email = str(cell(row, "email") or "").strip().lower()
        email = email if "@" in email else ""
        # Digits, and the stars of a number the platform masked (腾讯会议: 139****1111).
        phone = re.sub(r"[^\d*]", "", str(cell(row, "phone") or ""))[-11:]
        person = by_key.setdefault(_key(name, email, phone), Participant(name=name, email=email, phone=phone))
        person.email, person.phone = person.email or email, person.phone or phone
        minutes = (
            _minutes(cell(row, "duration"), found.get("duration", (0, ""))[1])
            if "duration" in found
            else None
        )
        start, stop = _time(cell(row, "join")), _time(cell(row, "leave"))
        if start and stop:
            person.intervals.append((start, stop))
        elif minutes is not None:
            person.minutes += minutes
    for person in by_key.values():
        person.minutes += _merged_minutes(person.intervals)
    if not by_key:
        raise ValidationError(_("The file has the right columns but no participant in it."))
    return list(by_key.values())


@dataclass
class Line:
    """One expected student in the preview: who they matched, how long, what status."""

    enrollment: Enrollment
    participants: list[Participant]
    how: str  # email, phone, remembered, name, manual, "" (not in the file)
    minutes: float
    percent: int
    status: str
    recorded: str  # what the lesson has now ("" when nothing)

    @property
    def changes(self) -> bool:
        return self.status != self.recorded


@dataclass
class Preview:
    lines: list[Line]
    unmatched: list[tuple[int, Participant]]  # index in the file's participants, participant

    @property
    def changed(self) -> int:
        return sum(line.changes for line in self.lines)


def status_for(percent: float, *, full: int, partial: int) -> str:
    if percent >= full:
        return Attendance.Status.FULL
    if percent >= partial:
        return Attendance.Status.PARTIAL
    return Attendance.Status.ABSENT


def _by_phone(phone: str, phones: dict[int, str]) -> int | None:
    """The one student whose number this is; a masked one (139****1111) by its visible digits."""
    if len(phone.replace("*", "")) < 7:
        return None
    head, _stars, tail = phone.partition("*")
    tail = tail.lstrip("*")
    found = [
        sid for sid, digits in phones.items()
        if (digits == phone) or ("*" in phone and len(digits) == len(phone) and digits.startswith(head) and digits.endswith(tail))
    ]  # fmt: skip
    return found[0] if len(found) == 1 else None


def attendance_preview(
    *, lesson: Lesson, sheet: list[tuple[Enrollment, str]], participants: list[Participant],
    manual: dict[int, int], full: int, partial: int,
) -> Preview:  # fmt: skip
    """Match the participants to the expected students (e-mail, phone, a remembered name, the
    name, then the founder's manual matches {participant index: student id}) and say each
    student's status by the thresholds (percent of the lesson's length)."""
    cohort: Cohort = lesson.cohort
    students = {enrollment.student_id: enrollment for enrollment, _status in sheet}
    by_email = {e.student.user.email.lower(): sid for sid, e in students.items() if e.student.user.email}
    phones = {sid: _digits(e.student.phone) for sid, e in students.items() if _digits(e.student.phone)}
    names: dict[str, list[int]] = {}
    for sid, e in students.items():
        if e.student.user.name:
            names.setdefault(name_key(e.student.user.name), []).append(sid)
    remembered = dict(
        AttendanceAlias.objects.filter(cohort=cohort, student_id__in=students).values_list(
            "name_key", "student_id"
        )
    )
    matched: dict[int, list[tuple[Participant, str]]] = {}
    unmatched: list[tuple[int, Participant]] = []
    for index, person in enumerate(participants):
        key = name_key(person.name)
        candidates: list[tuple[int | None, str]] = [
            (by_email.get(person.email) if person.email else None, "email"),
            (_by_phone(person.phone, phones), "phone"),
            (remembered.get(key), "remembered"),
            (names[key][0] if len(names.get(key, [])) == 1 else None, "name"),
            (manual.get(index) if manual.get(index) in students else None, "manual"),
        ]
        hit = next(((sid, how) for sid, how in candidates if sid is not None), None)
        if hit is None:
            unmatched.append((index, person))
        else:
            sid, how = hit
            matched.setdefault(sid, []).append((person, how))
    length = max(lesson.duration_minutes, 1)
    recorded = {enrollment.student_id: status for enrollment, status in sheet}
    lines = []
    for sid, enrollment in students.items():
        found = matched.get(sid, [])
        minutes = min(sum(person.minutes for person, _how in found), float(length))
        percent = round(minutes * 100 / length)
        lines.append(
            Line(
                enrollment=enrollment, participants=[person for person, _how in found],
                how=found[0][1] if found else "", minutes=round(minutes), percent=percent,
                status=status_for(percent, full=full, partial=partial), recorded=recorded.get(sid, ""),
            )
        )  # fmt: skip
    return Preview(lines=lines, unmatched=unmatched)
