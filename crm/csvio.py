"""Lead lists as CSV: reading what Chinese Excel writes (GBK, UTF-8 with or without BOM) and
writing what it opens correctly (UTF-8 with BOM, no cell that would run as a formula)."""

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, time
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from onepco.spreadsheet import spreadsheet_cell, spreadsheet_untext

# Header → field. English names, the console's own export headers and common Chinese ones.
HEADER_ALIASES = {
    "name": "name",
    "姓名": "name",
    "名字": "name",
    "email": "email",
    "e-mail": "email",
    "邮箱": "email",
    "电子邮件": "email",
    "phone": "phone",
    "mobile": "phone",
    "手机": "phone",
    "手机号": "phone",
    "电话": "phone",
    "wechat": "wechat",
    "微信": "wechat",
    "微信号": "wechat",
    "message": "message",
    "留言": "message",
    "备注": "message",
    "channel": "channel",
    "渠道": "channel",
    "utm_source": "utm_source",
    "utm_medium": "utm_medium",
    "utm_campaign": "utm_campaign",
    "campaign": "utm_campaign",
    "活动": "utm_campaign",
    "utm_content": "utm_content",
    "内容": "utm_content",
    "created_at": "created_at",
    "date": "created_at",
    "日期": "created_at",
    "时间": "created_at",
    "创建时间": "created_at",
}
EXPORT_COLUMNS = [
    ("id", "ID"),
    ("created_at", "created_at"),
    ("name", "name"),
    ("email", "email"),
    ("phone", "phone"),
    ("wechat", "wechat"),
    ("status", "status"),
    ("channel", "channel"),
    # How the console names the channel; an import reads the code and ignores the name.
    ("channel_name", "channel_name"),
    ("utm_source", "utm_source"),
    ("utm_medium", "utm_medium"),
    ("utm_campaign", "utm_campaign"),
    ("utm_content", "utm_content"),
    ("landing_page", "landing_page"),
    ("referrer", "referrer"),
    ("message", "message"),
    ("lost_reason", "lost_reason"),
    ("is_spam", "is_spam"),
]


class CsvError(ValueError):
    pass


def csv_decode(raw: bytes) -> tuple[str, str]:
    """The text of an uploaded file and the encoding it was in."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict"), "UTF-8 BOM"
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        # GB18030 is a superset of GBK, which is what Excel in Chinese saves "CSV" as.
        return raw.decode("gb18030"), "GBK"
    except UnicodeDecodeError:
        raise CsvError(_("The file is neither UTF-8 nor GBK text. Save it from Excel as CSV.")) from None


def csv_rows(text: str) -> tuple[list[str], Iterator[dict[str, str]]]:
    """The recognised columns and the rows as {field: value}. Raises CsvError without a name column."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next((row for row in reader if any(cell.strip() for cell in row)), None)
    except csv.Error as exc:
        raise CsvError(_("The file is not valid CSV: %(error)s") % {"error": exc}) from None
    if header is None:
        raise CsvError(_("The file is empty."))
    fields = [HEADER_ALIASES.get(h.strip().lower(), "") for h in header]
    if "name" not in fields:
        raise CsvError(_("The first row must name the columns, with at least a name (姓名) column."))
    if "email" not in fields and "phone" not in fields:
        raise CsvError(_("The file needs an email (邮箱) or phone (手机) column."))

    def rows() -> Iterator[dict[str, str]]:
        try:
            for values in reader:
                if not any(v.strip() for v in values):
                    continue
                # A cell our export quoted reads back as the value it was (phones, "=…" text).
                yield {f: spreadsheet_untext(v).strip() for f, v in zip(fields, values, strict=False) if f}
        except csv.Error as exc:
            raise CsvError(_("The file is not valid CSV: %(error)s") % {"error": exc}) from None

    return [f for f in fields if f], rows()


def csv_rows_replace(
    text: str, matches: Callable[[dict[str, str]], bool], placeholder: str
) -> tuple[str, int]:
    """The file's text with every matching row's cells emptied (its name cell says
    `placeholder`), and how many rows matched. Rows keep their places, so that an import
    under way still counts them the same; an emptied row fails validation and is skipped."""
    csv_rows(text)  # a file that cannot be read raises CsvError here, as on import
    reader = csv.reader(io.StringIO(text, newline=""))
    out = io.StringIO()
    writer = csv.writer(out)
    header_seen, replaced = False, 0
    names = []
    for values in reader:
        if not header_seen:
            writer.writerow(values)
            if any(cell.strip() for cell in values):
                header_seen = True
                names = [HEADER_ALIASES.get(h.strip().lower(), "") for h in values]
            continue
        row = {f: spreadsheet_untext(v).strip() for f, v in zip(names, values, strict=False) if f}
        if any(v.strip() for v in values) and matches(row):
            values = [placeholder if f == "name" else "" for f in names]
            replaced += 1
        writer.writerow(values)
    return out.getvalue(), replaced


def csv_parse_when(value: str) -> datetime | None:
    """'2026-03-05', '2026/3/5 14:20', ISO datetimes → an aware datetime; '' → None.

    Raises ValueError for anything else.
    """
    value = (value or "").strip().replace("/", "-")
    if not value:
        return None
    moment = parse_datetime(value) or parse_datetime(value.replace(" ", "T"))
    if moment is None:
        day = parse_date(value)
        if day is None:
            parts = value.split(" ")[0].split("-")
            if len(parts) == 3 and all(p.isdigit() for p in parts):
                day = date(int(parts[0]), int(parts[1]), int(parts[2]))
                if len(value.split(" ")) == 2:
                    hour, _sep, minute = value.split(" ")[1].partition(":")
                    return timezone.make_aware(datetime.combine(day, time(int(hour), int(minute or 0))))
        if day is None:
            raise ValueError(value)
        moment = datetime.combine(day, time(12, 0))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def csv_export_lines(leads: Iterable, *, channel_name: Callable[[Any], str]) -> Iterator[str]:
    """CSV lines of the leads, the first one starting with the BOM Excel needs to read UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        value = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return value

    writer.writerow([label for _field, label in EXPORT_COLUMNS])
    yield "\ufeff" + flush()
    for lead in leads:
        row = []
        for field, _label in EXPORT_COLUMNS:
            value = channel_name(lead) if field == "channel_name" else getattr(lead, field)
            if isinstance(value, datetime):
                value = timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
            elif isinstance(value, bool):
                value = "1" if value else "0"
            else:
                value = spreadsheet_cell(value)  # never a live formula in Excel (CSV injection)
            row.append(value)
        writer.writerow(row)
        yield flush()
