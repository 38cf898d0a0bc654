"""Every view of ours declares who may reach it; a new view without a rule fails here."""

from django.urls import URLPattern, URLResolver, get_resolver

OURS = ("accounts.", "crm.", "cohorts.", "billing.", "dashboard.", "onepco.")
RULES = {"public", "staff", "student", "login", "provider-signed"}


def our_views(patterns=None, prefix: str = ""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            yield from our_views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            callback = pattern.callback
            module = getattr(callback, "__module__", "") or ""
            if module.startswith(OURS) or getattr(callback, "access_rule", None):
                yield prefix + str(pattern.pattern), callback


def test_every_view_of_ours_declares_its_access_rule():
    views = list(our_views())
    assert len(views) >= 5
    undeclared = [route for route, view in views if getattr(view, "access_rule", None) not in RULES]
    assert undeclared == []
