"""Background work of the crm app: thin, idempotent, by id."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from crm import services
from crm.models import Lead
from onepco.models import MessageKind
from onepco.notify import Message, notify_founder
from onepco.outbox import get_queue


def lead_notify_founder(lead_id: int) -> None:
    """E-mail the founder about a new lead (run once per lead through the outbox)."""
    lead = Lead.objects.filter(pk=lead_id, is_spam=False).first()
    if lead is None or not settings.FOUNDER_EMAIL:
        return
    link = settings.SITE_URL + reverse("crm:lead_detail", args=[lead.pk])
    when = timezone.localtime(lead.created_at).strftime("%Y-%m-%d %H:%M")
    with override(settings.LANGUAGE_CODE):
        subject = _("New lead: %(name)s") % {"name": lead.name}
        lines = [
            _("%(name)s signed up at %(when)s.") % {"name": lead.name, "when": when},
            "",
            f"{_('E-mail')}: {lead.email or '—'}",
            f"{_('Phone')}: {lead.phone or '—'}",
            f"{_('WeChat ID')}: {lead.wechat or '—'}",
            f"{_('Channel')}: {lead.channel or '—'} / {lead.utm_campaign or '—'} / {lead.utm_content or '—'}",
            "",
            lead.message,
            "",
            link,
        ]
    message = Message(
        subject=subject, body="\n".join(lines), url=link, wechat=[lead.name, lead.channel or "—", when]
    )
    notify_founder(kind=MessageKind.NEW_LEAD, key=f"new_lead:{lead.pk}", message=message)


def lead_import_start(lead_import_id: int) -> None:
    """Hand the import to a worker of its own, outside the outbox's transaction, so the
    progress it records is visible while it runs."""
    get_queue().enqueue(lead_import_run, lead_import_id, job_timeout=3600)


def lead_import_run(lead_import_id: int) -> None:
    services.lead_import_run(lead_import_id=lead_import_id)


def resume_stalled_imports() -> int:
    """Every few minutes (console/cron.py): imports whose worker died go on where they stopped."""
    return services.lead_imports_resume()
