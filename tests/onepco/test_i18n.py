"""Chinese is complete, English is available, and the compiled catalogues match the sources."""

from pathlib import Path

import polib
from django.test import Client
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]


def catalogue(locale: str, kind: str = "po"):
    path = ROOT / "locale" / locale / "LC_MESSAGES" / f"django.{kind}"
    return polib.pofile(str(path)) if kind == "po" else polib.mofile(str(path))


def test_every_string_has_a_chinese_translation():
    po = catalogue("zh_Hans")
    missing = [e.msgid for e in po if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
    assert missing == []


def test_the_compiled_catalogues_match_their_sources():
    for locale in ("zh_Hans", "en"):
        po = {
            (e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural.get(0, "")
            for e in catalogue(locale)
            if e.translated()
        }
        mo = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural.get(0, "") for e in catalogue(locale, "mo")}
        assert po.items() <= mo.items(), f"{locale}: run manage.py translations"


def test_chinese_is_the_default_and_english_is_one_switch_away(db):
    client = Client()
    assert "<h1>登录</h1>" in client.get("/accounts/login/").content.decode()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert "<h1>Sign in</h1>" in client.get("/accounts/login/").content.decode()


def test_format_placeholders_survive_translation():
    po = catalogue("zh_Hans")
    for entry in po:
        for placeholder in ("%(", "{"):
            if placeholder in entry.msgid and entry.msgstr:
                names = sorted(set(part.split(")")[0] for part in entry.msgid.split("%(")[1:]))
                for name in names:
                    assert f"%({name})" in entry.msgstr, entry.msgid
    with translation.override("zh-hans"):
        assert translation.gettext("Today") == "今天"
