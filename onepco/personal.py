"""One description per model of what it holds about a person (PIPL / GDPR).

Each app describes its own models in its `personal.py` and writes its `<entity>_personal_data`
(the person's right of access) and `<entity>_anonymise` (erasure) through that description,
so what a person downloads and what an erasure removes can never drift apart. Every concrete
field of a described model is in exactly one of three groups:

- `erased`: who the person is or what they wrote (names, contact details, messages, files).
  Shown to them, and overwritten with the given value (or the value a callable returns for
  the row) when they are erased; a file field's file is deleted after the erasure commits.
- `kept`: facts about them that the business numbers are made of (dates, statuses, amounts,
  scores). Shown to them and kept, without a name, after erasure.
- `internal`: neither: other people's ids, secrets, bookkeeping.

A model that holds nothing about anyone is listed in its app's `NOT_PERSONAL` instead.
tests/console/test_personal_data_coverage.py fails when a model, or a field, is in neither.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models.fields.files import FieldFile

from onepco.models import Delivery, MarketingOptOut, MessagePreference, OutboxMessage, SiteSettings

# {model label: primary keys} of the rows an erasure changed (or deleted), while one is recording.
_erased_rows: ContextVar[dict[str, set[Any]] | None] = ContextVar("erased_rows", default=None)


@contextmanager
def erased_rows_recorded() -> Iterator[dict[str, set[Any]]]:
    """Collect which rows the erasures inside this block change: copies of those rows elsewhere
    (backup archives) are then scrubbed the same way."""
    rows: dict[str, set[Any]] = {}
    token = _erased_rows.set(rows)
    try:
        yield rows
    finally:
        _erased_rows.reset(token)


def erased_rows_add(model: type[models.Model], pks: Iterable[Any]) -> None:
    rows = _erased_rows.get()
    if rows is not None:
        rows.setdefault(model._meta.label_lower, set()).update(pks)


@dataclass(frozen=True)
class PersonalData:
    model: type[models.Model]
    erased: Mapping[str, Any | Callable[[Any], Any]] = field(default_factory=dict)
    kept: tuple[str, ...] = ()
    internal: tuple[str, ...] = ()
    # Related lookups shown beside the rows so that a download reads well ("cohort__name").
    context: tuple[str, ...] = ()

    @property
    def shown(self) -> tuple[str, ...]:
        return (*self.kept, *self.erased, *self.context)

    def rows(self, queryset: models.QuerySet) -> list[dict]:
        """The person's rows as plain data, for their download."""
        return list(queryset.order_by("pk").values(*self.shown))

    def anonymise(self, rows: Iterable[models.Model]) -> tuple[int, list[FieldFile]]:
        """Overwrite the erased fields of these rows; return how many and the files to delete
        once the erasure has committed."""
        rows = list(rows)
        files: list[FieldFile] = []
        for row in rows:
            for name, value in self.erased.items():
                current = getattr(row, name)
                if isinstance(current, FieldFile) and current:
                    files.append(current)
                setattr(row, name, value(row) if callable(value) else value)
        if rows and self.erased:
            self.model._default_manager.bulk_update(rows, list(self.erased))
            erased_rows_add(self.model, (row.pk for row in rows))
        return len(rows), files


def files_of(rows: list[dict], description: PersonalData) -> list[tuple[int, str]]:
    """(row id, stored name) of every file named in a person's rows."""
    names = [f.name for f in description.model._meta.concrete_fields if isinstance(f, models.FileField)]
    return [(row["id"], row[name]) for row in rows for name in names if row.get(name)]


# What was sent to them: the address (or openid) and subject are theirs; kind, channel, status
# and date stay as a count of messages sent.
DELIVERY = PersonalData(
    Delivery,
    erased={"address": "", "subject": "", "detail": ""},
    kept=("id", "kind", "channel", "status", "created_at"),
    internal=("key", "user", "outbox"),
)
MESSAGE_PREFERENCE = PersonalData(
    MessagePreference, kept=("kind", "email", "wechat", "updated_at"), internal=("id", "user")
)
# The address is unique: an erased one becomes a placeholder that can never receive mail.
MARKETING_OPT_OUT = PersonalData(
    MarketingOptOut, erased={"email": lambda row: f"erased-{row.pk}@invalid"}, kept=("id", "created_at")
)
DESCRIBED = (DELIVERY, MESSAGE_PREFERENCE, MARKETING_OPT_OUT)
# Follow-up jobs name rows by id, never a person's details.
NOT_PERSONAL = (OutboxMessage, SiteSettings)


def _deliveries(*, users, addresses) -> models.QuerySet:
    return Delivery.objects.filter(models.Q(user__in=list(users)) | models.Q(address__in=list(addresses)))


def messages_personal_data(*, users=(), addresses=()) -> dict[str, list[dict]]:
    """The messages sent to the person, their channel choices and their marketing opt-out."""
    lowered = [a.lower() for a in addresses if a]
    return {
        "messages_sent": DELIVERY.rows(_deliveries(users=users, addresses=lowered)),
        "message_preferences": MESSAGE_PREFERENCE.rows(
            MessagePreference.objects.filter(user__in=list(users))
        ),
        "marketing_opt_outs": MARKETING_OPT_OUT.rows(MarketingOptOut.objects.filter(email__in=lowered)),
    }


def messages_anonymise(*, users=(), addresses=()) -> dict[str, int]:
    lowered = [a.lower() for a in addresses if a]
    sent, _files = DELIVERY.anonymise(_deliveries(users=users, addresses=lowered).exclude(address=""))
    preferences = MessagePreference.objects.filter(user__in=list(users))
    erased_rows_add(MessagePreference, preferences.values_list("pk", flat=True))
    preferences.delete()
    MARKETING_OPT_OUT.anonymise(MarketingOptOut.objects.filter(email__in=lowered))
    return {"messages_sent": sent}
