"""Personal-data erasure (PIPL art. 47 / GDPR art. 17): a lead or a student, on request.

What makes a person identifiable is overwritten or removed (names, contact details, messages,
notes, homework text and files, payment-page uploads); what the business numbers are made of
stays (dates, statuses, amounts, scores, attendance), so every weekly number, every total and
every snapshot is the same before and after. Each app erases its own data through its own
`personal` module; this module finds everything that belongs to the person and logs the erasure.
Files are deleted only after the transaction commits, so a failed erasure loses nothing.
"""

from dataclasses import dataclass, field

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models.fields.files import FieldFile

from accounts.models import User
from accounts.personal import user_anonymise
from billing.personal import orders_anonymise, referral_rewards_anonymise
from cohorts.models import Student
from cohorts.personal import student_anonymise
from console import jobs
from console.models import BroadcastRecipient, DataAccessRequest, ErasureRecord
from console.personal import BROADCAST_RECIPIENT, DATA_ACCESS_REQUEST, person_broadcasts, person_orders
from crm.personal import lead_anonymise
from onepco.outbox import outbox_enqueue
from onepco.personal import erased_rows_add, erased_rows_recorded, messages_anonymise


@dataclass
class Person:
    """Everything one erasure request touches."""

    leads: list = field(default_factory=list)
    students: list = field(default_factory=list)
    users: list = field(default_factory=list)

    def addresses(self) -> set[str]:
        """Every e-mail address the person is known by: their leads', accounts' and orders'."""
        emails = {lead.email for lead in self.leads} | {user.email for user in self.users}
        return {email.lower() for email in emails if email}

    @property
    def subject(self) -> str:
        parts = [f"lead #{lead.pk}" for lead in self.leads]
        parts += [f"student #{student.pk}" for student in self.students]
        parts += [f"user #{user.pk}" for user in self.users]
        return ", ".join(parts)


def person_for(*, lead=None, student=None) -> Person:
    """The lead, its learner profile and account, or the other way round."""
    person = Person()
    if student is not None:
        person.students.append(student)
        if student.lead_id:
            # The lead their checkout landed on is erased with them, even one another person
            # opened with the same phone: what it holds of this person goes too.
            person.leads.append(student.lead)
    if lead is not None:
        person.leads.append(lead)
        # Learners who came from this lead, when it is theirs (see console.personal): a lead
        # found by phone alone may have taken in someone else's checkout.
        theirs = Student.objects.filter(lead=lead).exclude(pk__in=[s.pk for s in person.students])
        if lead.email:
            theirs = theirs.filter(user__email__iexact=lead.email)
        person.students += list(theirs)
    person.leads = list({x.pk: x for x in person.leads}.values())
    person.users = list(User.objects.filter(student__in=person.students))
    return person


def delete_files_on_commit(files: list[FieldFile]) -> None:
    """Remove stored files once the rows that named them are committed as erased."""

    def delete() -> None:
        for stored in files:
            if stored.name:
                stored.storage.delete(stored.name)

    transaction.on_commit(delete)


def person_erase(*, person: Person, erased_by: User, reason: str = "") -> ErasureRecord:
    """Erase one person everywhere; idempotent (erasing twice changes nothing more)."""

    if any(user.is_staff for user in person.users):
        raise ValueError("staff accounts are not erased this way")
    summary: dict[str, int] = {}
    files: list[FieldFile] = []

    def add(counts: dict[str, int]) -> None:
        for key, value in counts.items():
            summary[key] = summary.get(key, 0) + value

    with transaction.atomic(), erased_rows_recorded() as rows:
        addresses = person.addresses()
        requests = DataAccessRequest.objects.filter(email__in=addresses)
        add({"access_requests": DATA_ACCESS_REQUEST.anonymise(requests)[0]})
        # The same orders their download shows.
        orders = person_orders(addresses=addresses, users=person.users, leads=person.leads)
        for lead in person.leads:
            add(lead_anonymise(lead=lead))
        for student in person.students:
            counts, removed = student_anonymise(student=student)
            add(counts)
            files += removed
        add(referral_rewards_anonymise(students=person.students))
        counts, removed = orders_anonymise(orders_filter=orders, leads=person.leads, addresses=addresses)
        add(counts)
        files += removed
        sent_to = person_broadcasts(addresses=addresses, leads=person.leads, students=person.students)
        add(
            {
                "broadcast_recipients": BROADCAST_RECIPIENT.anonymise(
                    BroadcastRecipient.objects.filter(sent_to)
                )[0]
            }
        )
        add(messages_anonymise(users=person.users, addresses=addresses))
        for user in person.users:
            user_anonymise(user=user)
        add({"accounts": len(person.users)})
        _admin_log_anonymise(rows)
        summary["files"] = len(files)
        record = ErasureRecord.objects.create(
            subject=person.subject, reason=reason, erased_by=erased_by, summary=summary,
            rows={label: sorted(pks) for label, pks in rows.items()},
        )  # fmt: skip
        delete_files_on_commit(files)
        # Backups made before today still hold the person: rewrite them too.
        outbox_enqueue(jobs.scrub_archives, record.pk)
    return record


def _admin_log_anonymise(rows: dict[str, set]) -> None:
    """The admin's history names the rows it changed by their text (a lead's name): it keeps
    what was done and when, and loses the name."""
    for label, pks in list(rows.items()):
        app_label, model_name = label.split(".")
        content_type = ContentType.objects.filter(app_label=app_label, model=model_name).first()
        if content_type is None:
            continue
        entries = LogEntry.objects.filter(content_type=content_type, object_id__in=[str(pk) for pk in pks])
        changed = [entry.pk for entry in entries]
        entries.update(object_repr=f"{content_type.name} (erased)", change_message="")
        erased_rows_add(LogEntry, changed)
