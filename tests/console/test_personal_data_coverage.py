"""Each app describes what its models hold about a person, completely, and the download and
the erasure both follow that description (onepco/personal.py)."""

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models

import accounts.personal
import billing.personal
import cohorts.personal
import console.personal
import crm.personal
import dashboard.personal
import onepco.personal
from tests.console.conftest import PERSONAL_STRINGS

MODULES = {
    "accounts": accounts.personal,
    "crm": crm.personal,
    "cohorts": cohorts.personal,
    "billing": billing.personal,
    "dashboard": dashboard.personal,
    "console": console.personal,
    "onepco": onepco.personal,
}
DESCRIPTIONS = [d for module in MODULES.values() for d in module.DESCRIBED]


def test_every_app_of_ours_has_a_personal_data_module():
    root = Path(settings.BASE_DIR)
    ours = {c.label for c in apps.get_app_configs() if Path(c.path).parent == root}
    assert ours == set(MODULES)


@pytest.mark.parametrize("label", sorted(MODULES))
def test_every_model_is_described_or_declared_to_hold_nothing_personal(label):
    module = MODULES[label]
    described = [d.model for d in module.DESCRIBED]
    free = list(module.NOT_PERSONAL)
    assert not set(described) & set(free)
    assert sorted(m.__name__ for m in described + free) == sorted(
        m.__name__ for m in apps.get_app_config(label).get_models()
    )


@pytest.mark.parametrize("description", DESCRIPTIONS, ids=lambda d: d.model._meta.label)
def test_every_field_of_a_described_model_is_erased_kept_or_internal(description):
    """A new field fails here until someone decides whether it says who a person is."""
    fields = sorted(f.name for f in description.model._meta.concrete_fields)
    groups = [*description.erased, *description.kept, *description.internal]
    assert sorted(groups) == fields, "each field in exactly one of erased / kept / internal"


def _text_fields(model: type[models.Model]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if isinstance(f, models.CharField | models.TextField)]


def _rows_mentioning(text: str) -> list[str]:
    found = []
    for label in MODULES:
        for model in apps.get_app_config(label).get_models():
            for name in _text_fields(model):
                if model.objects.filter(**{f"{name}__contains": text}).exists():
                    found.append(f"{model._meta.label}.{name}")
            for f in model._meta.concrete_fields:
                if isinstance(f, models.JSONField):
                    rows = model.objects.values_list(f.name, flat=True)
                    if any(text in json.dumps(value, ensure_ascii=False) for value in rows):
                        found.append(f"{model._meta.label}.{f.name}")
    return found


def test_the_downloads_hold_everything_the_person_told_us(client, buyer, student, run_jobs, mailoutbox):
    """The person signed up as xiaoming@ and studies as student@: each address downloads what
    is tied to it (a lead found only by phone is not followed: it may be someone else's)."""
    client.force_login(student.user)
    response = client.get("/account/my-data.zip")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    data = archive.read("data.json").decode()
    client.logout()
    asked = client.post("/privacy/my-data/", {"email": "xiaoming@example.com"})
    run_jobs()
    code = re.search(r"\b(\d{6})\b", mailoutbox[-1].body).group(1)
    by_code = client.post(asked["Location"], {"code": code})
    data += zipfile.ZipFile(io.BytesIO(b"".join(by_code.streaming_content))).read("data.json").decode()
    missing = [text for text in PERSONAL_STRINGS if json.dumps(text, ensure_ascii=False)[1:-1] not in data]
    assert missing == []
    assert {n.split("/")[0] for n in archive.namelist()} == {
        "README.txt",
        "data.json",
        "files",
        "payment-proofs",
    }


def test_after_erasure_no_row_anywhere_mentions_the_person(founder_client, buyer, student):
    assert _rows_mentioning("王小明")  # the check finds what is there
    response = founder_client.post(
        f"/console/data-requests/erase/student/{student.pk}/", {"reason": "邮件申请删除", "confirm": "on"}
    )
    assert response.status_code == 302
    leftovers = {text: _rows_mentioning(text) for text in PERSONAL_STRINGS}
    assert {text: where for text, where in leftovers.items() if where} == {}
