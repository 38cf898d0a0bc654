"""Take everything, be running elsewhere the same day: the portable archive of a whole instance.

An archive is a zip file holding
- `data/<app.model>.jsonl`: every row, one JSON object per line (Django's serialisation), which
  `import_archive` loads back;
- `csv/<app.model>.csv`: the same rows for people — UTF-8 with BOM (Excel opens it right),
  headers and choice values in words, times in the site time zone, text that a spreadsheet
  would run as a formula quoted (onepco.spreadsheet); import never reads these;
- `media/<path>`: every uploaded file referenced by a row;
- `manifest.json`: row counts, the schema (applied migrations per app) and a SHA-256 of every
  other entry.
Export reads every table from one snapshot of the database (a read-only REPEATABLE READ
transaction), so an archive taken while the site is live holds rows that fit together, and it
streams (querysets are iterated in chunks and written straight into the zip), so memory stays
flat however large the database is. Import verifies every checksum and the schema before it
writes anything, then loads everything in one transaction; uploaded files are only added before
the commit (and removed again if it fails), an instance's own files are changed only after it.
"""

import csv
import hashlib
import io
import json
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO

from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core import serializers
from django.core.files.base import File
from django.core.files.storage import Storage, default_storage
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.python import Serializer as PythonSerializer
from django.db import DataError, IntegrityError, connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

import accounts.personal
import billing.personal
import cohorts.personal
import console.personal
import crm.personal
from billing.models import Order
from cohorts.models import Assignment, Lesson
from console.models import ErasureRecord
from crm.models import Lead, LeadImport
from dashboard.selectors.numbers import weekly_numbers_range
from onepco.spreadsheet import spreadsheet_text
from onepco.weeks import Week

FORMAT = "onepco-archive"
FORMAT_VERSION = 1
CHUNK = 2000
# Everything but sessions (a restored instance has everyone sign in again) and the content types
# and permissions every instance makes for itself (rows name those by natural key).
EXPORTED_APPS = ("accounts", "account", "crm", "cohorts", "billing", "dashboard", "console", "onepco")
SCHEMA_APPS = ("accounts", "crm", "cohorts", "billing", "dashboard", "console", "onepco")
# The WeChat bindings (allauth's SocialAccount) go with their accounts. Its tokens are never
# stored (docs/wechat.md) and never exported, but emptied on a restore with the bindings.
EXTRA_MODELS = ("auth.group", "admin.logentry", "socialaccount.socialaccount")
WIPED_TOO = ("socialaccount.socialtoken",)
# What a fresh instance holds before it holds a business: the founder `up` or createsuperuser
# made, bookkeeping about that, and the channel names `migrate` seeds. An instance holding only
# these may be restored into.
BOOKKEEPING = (
    "admin.logentry",
    "onepco.outboxmessage",
    "console.dataexport",
    "crm.channel",
    # The scheduler makes these within minutes of a first start, before any business exists.
    "console.backup",
    "console.backupschedule",
    # ... and the alerts it sends about them (a failed first backup) are recorded as deliveries.
    "onepco.delivery",
)

Progress = Callable[[str, int, int], None]


class ArchiveError(Exception):
    """The archive cannot be used; the message says why in words a founder understands."""


@dataclass
class ArchiveReport:
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def exported_models() -> list[type[models.Model]]:
    """Every model of the business, parents before children (the order import_all loads in)."""
    chosen = [m for m in apps.get_models() if m._meta.app_label in EXPORTED_APPS]
    chosen += [apps.get_model(label) for label in EXTRA_MODELS]
    chosen = [m for m in chosen if m._meta.managed and not m._meta.proxy]
    return serializers.sort_dependencies([(None, chosen)], allow_cycles=True)


def schema_version() -> dict[str, list[str]]:
    applied = MigrationRecorder(connection).applied_migrations()
    return {app: sorted(name for label, name in applied if label == app) for app in SCHEMA_APPS}


class _Serializer(PythonSerializer):
    """Rows point at each other by primary key, except at content types and permissions, which
    every instance numbers for itself (those go by natural key). A user is never named by their
    e-mail in other rows: erasing them must not leave the address behind in every order."""

    def handle_fk_field(self, obj, field) -> None:
        natural = self.use_natural_foreign_keys
        self.use_natural_foreign_keys = natural and field.remote_field.model in NATURAL_KEY_MODELS
        super().handle_fk_field(obj, field)
        self.use_natural_foreign_keys = natural

    def handle_m2m_field(self, obj, field) -> None:
        natural = self.use_natural_foreign_keys
        self.use_natural_foreign_keys = natural and field.remote_field.model in NATURAL_KEY_MODELS
        super().handle_m2m_field(obj, field)
        self.use_natural_foreign_keys = natural


NATURAL_KEY_MODELS = (ContentType, Permission)


def _serialize(row: models.Model) -> dict:
    return _Serializer().serialize([row], use_natural_foreign_keys=True)[0]


class _LosslessEncoder(DjangoJSONEncoder):
    """DjangoJSONEncoder cuts times to milliseconds (as JavaScript does); a backup must not."""

    def default(self, o):
        if isinstance(o, datetime):
            return o.isoformat()
        return super().default(o)


@contextmanager
def _keeping_auto_now(chosen: list[type[models.Model]]) -> Iterator[None]:
    """Restored rows keep their recorded `updated_at`, not the time of the restore."""
    fields = [f for m in chosen for f in m._meta.concrete_fields if getattr(f, "auto_now", False)]
    for model_field in fields:
        setattr(model_field, "auto_now", False)  # noqa: B010 - only date fields have it
    try:
        yield
    finally:
        for model_field in fields:
            setattr(model_field, "auto_now", True)  # noqa: B010


class _HashingWriter(io.RawIOBase):
    """Writes through to a zip entry while counting bytes and computing SHA-256."""

    def __init__(self, target: IO[bytes]):
        self.target = target
        self.digest = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.digest.update(data)
        self.size += len(data)
        self.target.write(data)
        return len(data)


def _rows(model: type[models.Model]) -> Iterator[models.Model]:
    return model._default_manager.order_by("pk").iterator(chunk_size=CHUNK)


def _human(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return spreadsheet_text(value)  # "opens in Excel": text never runs as a formula
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder)
    return str(value)


def _csv_columns(model: type[models.Model]) -> list[tuple[str, Callable[..., str]]]:
    columns = []
    for model_field in model._meta.concrete_fields:
        header = str(model_field.verbose_name)
        if model_field.is_relation:
            columns.append((f"{header} (id)", lambda obj, f=model_field: _human(getattr(obj, f.attname))))
        elif model_field.choices:
            columns.append(
                (header, lambda obj, f=model_field: _human(getattr(obj, f"get_{f.name}_display")()))
            )
        elif isinstance(model_field, models.FileField):
            columns.append((header, lambda obj, f=model_field: _human(getattr(obj, f.attname).name or "")))
        else:
            columns.append((header, lambda obj, f=model_field: _human(getattr(obj, f.attname))))
    return columns


def _file_names(model: type[models.Model]) -> Iterator[str]:
    file_fields = [f.attname for f in model._meta.concrete_fields if isinstance(f, models.FileField)]
    if not file_fields:
        return
    for values in model._default_manager.order_by("pk").values_list(*file_fields).iterator(chunk_size=CHUNK):
        yield from (name for name in values if name)


@contextmanager
def _snapshot() -> Iterator[None]:
    """One read-only view of the whole database for the length of the export: a checkout that
    commits meanwhile is either entirely in the archive or entirely out of it."""
    if connection.in_atomic_block:
        # The caller's own transaction decides what is consistent (SET TRANSACTION must come first).
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def export_archive(target: str | Path | IO[bytes], progress: Progress | None = None) -> ArchiveReport:
    """Write the whole business to a zip archive (a path or a writable binary file)."""
    with _snapshot():
        return _export(target, progress)


def _export(target: str | Path | IO[bytes], progress: Progress | None) -> ArchiveReport:
    report = ArchiveReport()
    checksums: dict[str, str] = {}
    tables: dict[str, dict] = {}
    files: dict[str, int] = {}
    chosen = exported_models()
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:

        def entry(name: str) -> _HashingWriter:
            return _HashingWriter(archive.open(name, "w", force_zip64=True))

        for index, model in enumerate(chosen, start=1):
            label = model._meta.label_lower
            if progress:
                progress(label, index, len(chosen))
            writer = entry(f"data/{label}.jsonl")
            count = 0
            for row in _rows(model):
                data = _serialize(row)
                writer.write(json.dumps(data, cls=_LosslessEncoder, ensure_ascii=False).encode() + b"\n")
                count += 1
            writer.target.close()
            checksums[f"data/{label}.jsonl"] = writer.digest.hexdigest()

            writer = entry(f"csv/{label}.csv")
            text = io.TextIOWrapper(writer, encoding="utf-8-sig", newline="", write_through=True)  # type: ignore[type-var]
            table = csv.writer(text)
            columns = _csv_columns(model)
            table.writerow([header for header, _ in columns])
            for row in _rows(model):
                table.writerow([value(row) for _, value in columns])
            text.flush()
            text.detach()
            writer.target.close()
            checksums[f"csv/{label}.csv"] = writer.digest.hexdigest()
            tables[label] = {"rows": count, "verbose_name": str(model._meta.verbose_name_plural)}
            report.rows[label] = count

            for name in _file_names(model):
                if name in files or not default_storage.exists(name):
                    continue
                writer = entry(f"media/{name}")
                with default_storage.open(name, "rb") as source:
                    for chunk in iter(lambda: source.read(1024 * 1024), b""):
                        writer.write(chunk)
                writer.target.close()
                checksums[f"media/{name}"] = writer.digest.hexdigest()
                files[name] = writer.size
                report.files += 1

        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": timezone.now().isoformat(),
            "time_zone": str(timezone.get_default_timezone()),
            "schema": schema_version(),
            "tables": tables,
            "files": files,
            "checksums": checksums,
            # What the restore drill compares a restored copy with (docs/metrics.md).
            "weekly_numbers": weekly_numbers_of_history(),
        }
        archive.writestr(
            "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2, cls=DjangoJSONEncoder)
        )
    return report


def weekly_numbers_of_history() -> dict[str, dict]:
    """The numerators and denominators of every ended week this business has data in: equal
    after a restore means the restore kept the business intact."""
    starts = [
        Lead.objects.aggregate(first=Min("created_at"))["first"],
        Order.objects.aggregate(first=Min("paid_at"))["first"],
        Lesson.objects.aggregate(first=Min("starts_at"))["first"],
        Assignment.objects.aggregate(first=Min("due_at"))["first"],
    ]
    starts = [moment for moment in starts if moment is not None]
    last = Week.current().shifted(-1)
    if not starts or Week.of(min(starts)) > last:
        return {}
    return weekly_numbers_of(Week.of(min(starts)), last)


def weekly_numbers_of(first: Week, last: Week) -> dict[str, dict]:
    return {
        numbers.week.label: {key: str(value) for key, value in numbers.counts().items()}
        for numbers in weekly_numbers_range(first, last)
    }


# --- import --------------------------------------------------------------------------------


def read_manifest(archive: zipfile.ZipFile) -> dict:
    try:
        manifest = json.loads(archive.read("manifest.json"))
    except KeyError:
        raise ArchiveError(_("This is not an onepco archive: it has no manifest.json.")) from None
    except ValueError:
        raise ArchiveError(_("The archive's manifest.json is damaged.")) from None
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise ArchiveError(_("This is not an onepco archive of a format this version can read."))
    return manifest


def _digest(source: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: source.read(1024 * 1024), b""):
        digest.update(chunk)
    return digest.hexdigest()


def _damaged(name: str) -> ArchiveError:
    return ArchiveError(_("The archive is damaged: %(name)s does not match its checksum.") % {"name": name})


def verify_archive(archive: zipfile.ZipFile, manifest: dict) -> None:
    """Every entry present and unchanged, and the schema equal to this instance's."""
    names = set(archive.namelist())
    for name, expected in manifest["checksums"].items():
        if name not in names:
            raise ArchiveError(_("The archive is incomplete: %(name)s is missing.") % {"name": name})
        try:
            with archive.open(name) as source:
                digest = _digest(source)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError):
            raise _damaged(name) from None
        if digest != expected:
            raise _damaged(name)
    ours = schema_version()
    theirs = manifest.get("schema", {})
    if theirs != ours:
        differing = sorted(app for app in set(ours) | set(theirs) if ours.get(app) != theirs.get(app))
        raise ArchiveError(
            _(
                "The archive was made by a different version of onepco (schema of %(apps)s differs). "
                "Restore it into an instance of the same version, then upgrade."
            )
            % {"apps": ", ".join(differing)}
        )


def instance_is_empty() -> bool:
    """No business yet: at most the founder's account and bookkeeping about it."""
    for model in exported_models():
        rows = model._default_manager.all()
        if model._meta.label_lower in BOOKKEEPING:
            continue
        if model._meta.label_lower == "accounts.user":
            rows = rows.filter(is_staff=False)
        elif model._meta.label_lower in ("account.emailaddress", "socialaccount.socialaccount"):
            rows = rows.filter(user__is_staff=False)
        if rows.exists():
            return False
    return True


def _wipe(chosen: list[type[models.Model]]) -> None:
    """Empty every table the archive restores, and sign everyone out, in the caller's transaction.

    One TRUNCATE: no row-by-row delete to trip over protected foreign keys (a payment event
    protects its order), and PostgreSQL refuses it, rather than silently emptying more, if a
    table outside the archive still pointed at these.
    """
    names = [m._meta.db_table for m in chosen] + [apps.get_model(label)._meta.db_table for label in WIPED_TOO]
    names += [f.m2m_db_table() for m in chosen for f in m._meta.local_many_to_many]
    tables = ", ".join(connection.ops.quote_name(name) for name in names)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables}")
    Session.objects.all().delete()


@contextmanager
def _stamps_kept(model: type[models.Model]) -> Iterator[None]:
    """bulk_create stamps auto_now / auto_now_add fields with the time of the restore (it has no
    "raw" save): switched off while the archive's rows go in, so they keep the archive's dates
    (allauth's SocialAccount.date_joined, our own updated_at fields)."""
    stamped: list[models.DateField] = [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.DateField) and (f.auto_now or f.auto_now_add)
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in stamped]
    for f in stamped:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _load_table(archive: zipfile.ZipFile, label: str) -> int:
    count = 0
    batch: list = []
    model = apps.get_model(label)

    def flush() -> None:
        objects = list(serializers.deserialize("python", batch, handle_forward_references=False))
        with _stamps_kept(model):
            model._default_manager.bulk_create([d.object for d in objects])
        for deserialized in objects:
            for name, values in (deserialized.m2m_data or {}).items():
                if values:
                    getattr(deserialized.object, name).set(values)
        batch.clear()

    with archive.open(f"data/{label}.jsonl") as source:
        for line in io.TextIOWrapper(source, encoding="utf-8"):
            batch.append(json.loads(line))
            count += 1
            if len(batch) >= CHUNK:
                flush()
    if batch:
        flush()
    return count


def import_archive(
    source: str | Path | IO[bytes], *, replace: bool = False, progress: Progress | None = None
) -> ArchiveReport:
    """Restore an archive into this instance: all of it, or (on any problem) nothing."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveError(
            _("This file is not a readable zip archive (%(error)s).") % {"error": exc}
        ) from None
    with archive:
        manifest = read_manifest(archive)
        verify_archive(archive, manifest)
        if not replace and not instance_is_empty():
            raise ArchiveError(
                _(
                    "This instance already holds data. Restore into an empty one, or pass --replace to wipe it first."
                )
            )
        return _restore(archive, manifest, progress)


def _restore(archive: zipfile.ZipFile, manifest: dict, progress: Progress | None) -> ArchiveReport:
    if connection.in_atomic_block:
        raise RuntimeError("import_archive commits its own transaction: call it outside one")
    report = ArchiveReport()
    created: list[str] = []  # files that did not exist here before: removed again on failure
    changed: list[str] = []  # files of this instance that the archive holds differently
    chosen = exported_models()
    try:
        with transaction.atomic(), _keeping_auto_now(chosen):
            _wipe(chosen)
            for index, model in enumerate(chosen, start=1):
                label = model._meta.label_lower
                if label not in manifest["tables"]:
                    continue
                if progress:
                    progress(label, index, len(chosen))
                report.rows[label] = _load_table(archive, label)
            with connection.cursor() as cursor:
                for statement in connection.ops.sequence_reset_sql(no_style(), chosen):
                    cursor.execute(statement)
            for name in manifest["files"]:
                expected = manifest["checksums"][f"media/{name}"]
                if default_storage.exists(name):
                    with default_storage.open(name, "rb") as present:
                        if _digest(present) != expected:
                            changed.append(name)
                    continue
                with archive.open(f"media/{name}") as content:
                    created.append(default_storage.save(name, File(content, name=name)))
            report.files = len(manifest["files"])
            # Deferred constraints (foreign keys) are checked here, not at the commit's surprise.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    except (IntegrityError, DataError, DeserializationError, LookupError, ValueError) as exc:
        _remove(created)
        raise ArchiveError(
            _(
                "The archive's rows do not fit together, so nothing was imported (%(error)s). "
                "It was probably edited by hand or made from a damaged database."
            )
            % {"error": str(exc).splitlines()[0][:300]}
        ) from None
    except BaseException:
        _remove(created)
        raise
    # Committed: now this instance's own files may change.
    _overwrite(archive, names=changed)
    return report


def _remove(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def _overwrite(archive: zipfile.ZipFile, *, names: list[str]) -> None:
    """After the commit: this instance's files that the archive holds differently take the
    archive's content (the rows now committed point at the archive's version)."""
    for name in names:
        with archive.open(f"media/{name}") as content:
            default_storage.delete(name)
            default_storage.save(name, File(content, name=name))


# --- scrubbing an erased person out of an archive ------------------------------------------


def _erased_fields() -> dict[str, tuple[str, ...]]:
    """{model label: the fields an erasure overwrites}, from each app's description."""
    fields = {
        d.model._meta.label_lower: tuple(d.erased)
        for module in (accounts.personal, crm.personal, cohorts.personal, billing.personal, console.personal)
        for d in module.DESCRIBED
    }
    fields["admin.logentry"] = ("object_repr", "change_message")
    fields["account.emailaddress"] = ()  # deleted outright
    return fields


@dataclass
class _Scrub:
    """What the database says today about the rows an erasure changed."""

    rows: dict[str, set]
    now: dict[str, dict]  # label → pk → serialized fields (absent: the row was deleted)
    keys: dict[str, str]  # an erased user's old e-mail → their placeholder (old archives)
    drop_files: set[str] = field(default_factory=set)
    changed: int = 0

    def fix_keys(self, value):
        """Older archives named users by e-mail inside other rows: those names go too."""
        if isinstance(value, list) and len(value) == 1 and value[0] in self.keys:
            return [self.keys[value[0]]]
        if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
            return [self.fix_keys(v) for v in value]
        return value


def _scrub_plan(archive: zipfile.ZipFile, manifest: dict, rows: dict[str, list]) -> _Scrub:
    erased = _erased_fields()
    wanted = {label: {int(pk) for pk in pks} for label, pks in rows.items() if label in manifest["tables"]}
    now = {}
    for label, pks in wanted.items():
        model = apps.get_model(label)
        now[label] = {obj.pk: _serialize(obj)["fields"] for obj in model._default_manager.filter(pk__in=pks)}
    plan = _Scrub(rows=wanted, now=now, keys={})
    file_fields = {
        label: [
            f.name for f in apps.get_model(label)._meta.concrete_fields if isinstance(f, models.FileField)
        ]
        for label in wanted
    }
    for label, pks in wanted.items():
        watch = [name for name in file_fields[label] if name in erased.get(label, ())]
        if label != "accounts.user" and not watch:
            continue
        with archive.open(f"data/{label}.jsonl") as source:
            for line in io.TextIOWrapper(source, encoding="utf-8"):
                row = json.loads(line)
                if row["pk"] not in pks:
                    continue
                today = now[label].get(row["pk"], {})
                for name in watch:
                    if row["fields"].get(name) and row["fields"][name] != today.get(name):
                        plan.drop_files.add(row["fields"][name])
                if (
                    label == "accounts.user"
                    and today.get("email")
                    and row["fields"]["email"] != today["email"]
                ):
                    plan.keys[row["fields"]["email"]] = today["email"]
    return plan


def _scrub_jsonl(source: IO[bytes], target: _HashingWriter, label: str, plan: _Scrub) -> None:
    pks = plan.rows.get(label, set())
    erased = _erased_fields().get(label, ())
    for line in io.TextIOWrapper(source, encoding="utf-8"):
        row = json.loads(line)
        before = row
        if plan.keys:
            row = {**row, "fields": {k: plan.fix_keys(v) for k, v in row["fields"].items()}}
        if row["pk"] in pks:
            today = plan.now[label].get(row["pk"])
            if today is None:
                plan.changed += 1
                continue  # deleted by the erasure
            row = {**row, "fields": {**row["fields"], **{name: today[name] for name in erased}}}
        if row != before:
            plan.changed += 1
        target.write(json.dumps(row, cls=_LosslessEncoder, ensure_ascii=False).encode() + b"\n")


def _scrub_csv(source: IO[bytes], target: _HashingWriter, label: str, plan: _Scrub) -> None:
    model = apps.get_model(label)
    columns = _csv_columns(model)
    names = [f.name for f in model._meta.concrete_fields]
    erased = {names.index(name) for name in _erased_fields().get(label, ())}
    today = {obj.pk: obj for obj in model._default_manager.filter(pk__in=plan.rows[label])}
    reader = csv.reader(io.TextIOWrapper(source, encoding="utf-8-sig", newline=""))
    text = io.TextIOWrapper(target, encoding="utf-8-sig", newline="", write_through=True)  # type: ignore[type-var]
    table = csv.writer(text)
    table.writerow(next(reader))
    for cells in reader:
        pk = int(cells[0]) if cells and cells[0].isascii() and cells[0].isdigit() else None
        if pk in plan.rows[label]:
            obj = today.get(pk)
            if obj is None:
                continue
            cells = [columns[i][1](obj) if i in erased else cell for i, cell in enumerate(cells)]
        table.writerow(cells)
    text.flush()
    text.detach()


def archive_scrub(
    source: str | Path | IO[bytes], target: str | Path | IO[bytes], rows: dict[str, list]
) -> int:
    """Copy an archive with the rows an erasure changed as the erasure left them: erased fields
    overwritten, deleted rows and erased files gone, checksums recomputed. Returns how many
    rows changed (0: the person was not in this archive, and `target` is to be thrown away)."""
    with zipfile.ZipFile(source) as old:
        manifest = read_manifest(old)
        plan = _scrub_plan(old, manifest, rows)
        if not plan.rows:
            return 0
        checksums: dict[str, str] = {}
        # The uploaded lists a lead was imported from: the erasure emptied the person's rows in
        # the stored files (crm.personal), and the archive's copies take that content.
        imports = (
            set(LeadImport.objects.exclude(file="").values_list("file", flat=True))
            if "crm.lead" in plan.rows
            else set()
        )
        resized: dict[str, int] = {}
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as new:
            for item in old.infolist():
                name = item.filename
                if name == "manifest.json" or (name.startswith("media/") and name[6:] in plan.drop_files):
                    continue
                kind, _slash, rest = name.partition("/")
                label = rest.rsplit(".", 1)[0]
                writer = _HashingWriter(new.open(name, "w", force_zip64=True))
                with old.open(name) as source_entry:
                    if kind == "data" and (label in plan.rows or plan.keys):
                        _scrub_jsonl(source_entry, writer, label, plan)
                    elif kind == "csv" and label in plan.rows:
                        _scrub_csv(source_entry, writer, label, plan)
                    elif kind == "media" and rest in imports and default_storage.exists(rest):
                        with default_storage.open(rest, "rb") as current:
                            content = current.read()
                        plan.changed += content != source_entry.read()
                        writer.write(content)
                        resized[rest] = len(content)
                    else:
                        for chunk in iter(lambda: source_entry.read(1024 * 1024), b""):
                            writer.write(chunk)
                writer.target.close()
                checksums[name] = writer.digest.hexdigest()
            plan.changed += len(plan.drop_files)
            manifest["checksums"] = checksums
            manifest["files"] = {
                k: resized.get(k, v) for k, v in manifest["files"].items() if k not in plan.drop_files
            }
            manifest["scrubbed_at"] = timezone.now().isoformat()
            new.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    return plan.changed


@dataclass(frozen=True)
class Stored:
    name: str
    size: int
    sha256: str


def stored_archive_scrub(
    storage: Storage, name: str, rows: dict[str, list], *, also: Sequence[Storage] = ()
) -> Stored | None:
    """Replace a stored archive by its scrubbed copy (see `archive_scrub`), in `storage` and in
    the `also` storages that hold the same file. The copy is saved under a new name first and
    the old file deleted after, so a failure (a full disk) never loses the archive. None when
    the archive held nothing of these rows."""
    if not storage.exists(name):
        return None
    with tempfile.TemporaryFile() as original, tempfile.TemporaryFile() as scrubbed:
        with storage.open(name, "rb") as source:
            shutil.copyfileobj(source, original)
        original.seek(0)
        if not archive_scrub(original, scrubbed, rows):
            return None
        size = scrubbed.tell()
        scrubbed.seek(0)
        digest = _digest(scrubbed)
        scrubbed.seek(0)
        new = storage.save(name, File(scrubbed, name=name))
        for other in also:
            scrubbed.seek(0)
            other.save(new, File(scrubbed, name=new))
    for holder in (storage, *also):
        if holder.exists(name):
            holder.delete(name)
    return Stored(name=new, size=size, sha256=digest)


def erased_rows_since(moment: datetime) -> dict[str, list]:
    """The rows of every erasure recorded since a moment, merged: what an archive whose
    snapshot began then may still hold."""
    merged: dict[str, set] = {}
    for rows in ErasureRecord.objects.filter(erased_at__gte=moment).values_list("rows", flat=True):
        for label, pks in rows.items():
            merged.setdefault(label, set()).update(pks)
    return {label: sorted(pks) for label, pks in merged.items()}
