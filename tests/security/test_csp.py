"""Content-Security-Policy: every HTML page says where scripts, styles and forms may come from
and go to; JSON and file downloads keep their own headers."""

from pathlib import Path

import pytest

from onepco.config import content_security_policy, payment_gateway_origins

ROOT = Path(__file__).resolve().parents[2]
STRICT = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def directives(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


@pytest.mark.parametrize("url", ["/accounts/login/", "/courses/", "/privacy/", "/no-such-page/"])
def test_public_html_pages_carry_the_strict_policy(client, db, url):
    assert directives(client.get(url)) == STRICT


@pytest.mark.parametrize("url", ["/console/", "/console/leads/", "/console/dashboard/", "/admin/"])
def test_console_and_admin_pages_carry_the_strict_policy(founder_client, url):
    response = founder_client.get(url)
    assert response.status_code == 200
    assert directives(response) == STRICT


def test_learner_pages_carry_the_strict_policy(student_client):
    assert directives(student_client.get("/learn/")) == STRICT


def test_the_rq_admin_pages_allow_their_inline_scripts_and_nothing_else_more(founder_client):
    # django_rq's templates carry inline scripts and styles (bulk actions, the stats table).
    policy = directives(founder_client.get("/admin/rq/"))
    assert policy["script-src"] == policy["style-src"] == "'self' 'unsafe-inline'"
    assert {k: v for k, v in policy.items() if k not in ("script-src", "style-src")} == {
        k: v for k, v in STRICT.items() if k not in ("script-src", "style-src")
    }


def test_json_answers_and_downloads_keep_their_own_headers(client, founder_client, db):
    assert "Content-Security-Policy" not in client.post("/api/leads", {}).headers
    assert "Content-Security-Policy" not in client.get("/api/openapi.json").headers
    assert "Content-Security-Policy" not in client.get("/healthz").headers
    assert "Content-Security-Policy" not in founder_client.get("/console/leads/export.csv").headers


def test_forms_may_go_on_to_the_gateways_of_the_configured_providers():
    assert payment_gateway_origins() == []
    assert payment_gateway_origins(alipay=True, stripe=True, wechat_h5=True) == [
        "https://openapi.alipay.com",
        "https://checkout.stripe.com",
        "https://wx.tenpay.com",
    ]
    assert payment_gateway_origins(alipay=True, alipay_sandbox=True) == [
        "https://openapi-sandbox.dl.alipaydev.com"
    ]
    policy = content_security_policy(form_action=["https://checkout.stripe.com"])
    assert "form-action 'self' https://checkout.stripe.com;" in policy


def test_no_template_or_script_relies_on_inline_code_or_styles():
    """What the policy forbids, looked for in our own files (the browser test sees the rest)."""
    found = []
    files = [*ROOT.glob("templates/**/*.html"), *ROOT.glob("static/js/**/*.js")]
    for path in files:
        if "email" in path.parts:  # e-mails are not pages: mail clients need inline styles
            continue
        text = path.read_text()
        for needle in (
            "<script>",
            "<style",
            " style=",
            " onclick=",
            " onsubmit=",
            " onchange=",
            "javascript:",
        ):
            if needle in text:
                found.append(f"{path.relative_to(ROOT)}: {needle.strip()}")
    assert found == []
