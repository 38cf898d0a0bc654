"""Status changes and consultation lines written before notes had facts get them, read back
from their text, so the timeline shows them in the reader's language too.

Their text was written in the language of the moment: "新线索 → 已流失（预算不够）",
"New → Lost (no budget)", "试听课: 已进行", and the demo's "状态：成交". A line that reads
otherwise keeps no facts and shows as it was written. The text itself is not changed.
"""

import re

from django.db import migrations

STATUSES = {
    "新线索": "new", "已联系": "contacted", "咨询中": "consulting", "已成交": "won", "成交": "won",
    "已流失": "lost", "New": "new", "Contacted": "contacted", "Consulting": "consulting",
    "Won": "won", "Lost": "lost",
}  # fmt: skip
KINDS = {"体验课": "trial", "1 对 1 咨询": "call", "Trial class": "trial", "1:1 call": "call"}
OUTCOMES = {
    "已预约": "scheduled", "已进行": "held", "未到场": "no_show", "已取消": "cancelled",
    "Scheduled": "scheduled", "Held": "held", "No-show": "no_show", "Cancelled": "cancelled",
}  # fmt: skip
CHANGE = re.compile(r"^(?P<old>[^→]+?) → (?P<new>.+?)(?:（(?P<zh>.*)）| \((?P<en>.*)\))?$", re.S)
DEMO = re.compile(r"^状态[:：]\s*(?P<new>\S+)$")


def status_facts(body: str) -> dict:
    body = body.strip()
    match = CHANGE.match(body)
    if match and match["old"] in STATUSES and match["new"] in STATUSES:
        reason = match["zh"] or match["en"] or ""
        return {"from": STATUSES[match["old"]], "to": STATUSES[match["new"]]} | (
            {"reason": reason} if reason else {}
        )
    match = DEMO.match(body)
    if match and match["new"] in STATUSES:
        return {"to": STATUSES[match["new"]]}
    return {}


def system_facts(body: str) -> dict:
    body = body.strip()
    for label, kind in KINDS.items():  # "1:1 call: Held" has a colon of its own
        match = re.match(re.escape(label) + r"[:：]\s*(.+)$", body)
        if match and match[1] in OUTCOMES:
            return {"consultation": kind, "status": OUTCOMES[match[1]]}
    return {}


def backfill(apps, schema_editor):
    LeadNote = apps.get_model("crm", "LeadNote")
    readers = {"status": status_facts, "system": system_facts}
    changed = []
    for note in LeadNote.objects.filter(kind__in=readers, facts={}).iterator(chunk_size=1000):
        facts = readers[note.kind](note.body)
        if facts:
            note.facts = facts
            changed.append(note)
        if len(changed) >= 1000:
            LeadNote.objects.bulk_update(changed, ["facts"])
            changed = []
    LeadNote.objects.bulk_update(changed, ["facts"])


class Migration(migrations.Migration):
    dependencies = [("crm", "0006_lead_note_facts")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
