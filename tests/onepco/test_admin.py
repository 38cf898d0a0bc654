"""Every model is in the admin, its list loads for the founder, and nobody else gets in."""

import pytest
from django.contrib import admin
from django.urls import reverse

from console.demo import demo_load

OURS = {"accounts", "crm", "cohorts", "billing", "dashboard", "console", "onepco"}
MODELS = sorted(
    (f"{m._meta.app_label}.{m._meta.model_name}", m)
    for m in admin.site._registry
    if m._meta.app_label in OURS
)
# One worker runs this module start to end: the demo business is loaded once for all of it.
pytestmark = pytest.mark.xdist_group("admin-demo")


def test_every_onepco_model_is_registered():
    from django.apps import apps

    missing = [
        m._meta.label
        for app in OURS
        for m in apps.get_app_config(app).get_models()
        if m not in admin.site._registry
    ]
    assert missing == []


@pytest.fixture(scope="module")
def _demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        demo_load()
    yield
    with django_db_blocker.unblock():
        from django.core.management import call_command

        call_command("flush", interactive=False, verbosity=0)


@pytest.mark.parametrize("label, model", MODELS, ids=[label for label, _ in MODELS])
def test_changelist_and_add_page_load_for_the_founder(_demo, founder_client, label, model):
    info = (model._meta.app_label, model._meta.model_name)
    assert founder_client.get(reverse("admin:{}_{}_changelist".format(*info))).status_code == 200
    assert founder_client.get(reverse("admin:{}_{}_changelist".format(*info)), {"q": "张"}).status_code == 200
    if model.objects.exists():
        obj = model.objects.first()
        assert (
            founder_client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk])).status_code == 200
        )


@pytest.mark.parametrize("who", ["anonymous", "student"])
def test_students_and_anonymous_visitors_are_refused_the_admin(who, client, student_client):
    browser = client if who == "anonymous" else student_client
    for label, model in MODELS:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = browser.get(url)
        assert response.status_code == 302, label
        assert response["Location"].startswith("/admin/login/")
