"""The OpenAPI document of the three core APIs, served at /api/openapi.json.

Written by hand: the contracts are fixed by docs/api.md and the tests hold the views to them.
"""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse

from dashboard.selectors.numbers import METRIC_KEYS
from onepco.access import public

ERRORS = {
    "type": "object",
    "properties": {
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        }
    },
    "required": ["errors"],
}
DETAIL = {"type": "object", "properties": {"detail": {"type": "string"}}}
RATE = {"type": ["number", "null"], "minimum": 0}

LEAD_FIELDS = {
    "name": {"type": "string", "maxLength": 100},
    "email": {"type": "string", "format": "email", "maxLength": 254},
    "phone": {"type": "string", "maxLength": 32},
    "wechat": {"type": "string", "maxLength": 64},
    "message": {"type": "string", "maxLength": 2000},
    "consent": {"type": "boolean", "description": "Must be true."},
    "channel": {"type": "string", "maxLength": 50},
    "utm_source": {"type": "string", "maxLength": 200},
    "utm_medium": {"type": "string", "maxLength": 200},
    "utm_campaign": {"type": "string", "maxLength": 200},
    "utm_content": {"type": "string", "maxLength": 200},
    "landing_page": {"type": "string", "maxLength": 500},
    "referrer": {"type": "string", "maxLength": 500},
    "ref": {
        "type": "string",
        "maxLength": 16,
        "description": "A student's referral code (their link's ?ref=): the lead is attributed to "
        "channel `referral` (unless `channel` says otherwise) and to that student, first touch winning.",
    },
    # crm: the honeypot. Humans never see it; a filled one is stored as spam and answered 201.
    "website": {"type": "string", "description": "Leave empty (spam trap)."},
}
LEAD_BODY = {
    "type": "object",
    "properties": LEAD_FIELDS,
    "required": ["name", "consent"],
    "additionalProperties": False,
    "description": "`email` and/or `phone` is required. Attribution fields left out are taken "
    "from the visitor's first touch on this site, if any. Rate-limited per IP (LEAD_RATE_LIMIT).",
}
SUBMISSION_JSON: dict[str, Any] = {
    "type": "object",
    "properties": {
        "assignment": {"type": "integer"},
        "text": {"type": "string"},
        "link": {"type": "string", "format": "uri"},
    },
    "required": ["assignment"],
    "additionalProperties": False,
    "description": "At least one of `text`, `link` (or `file` in multipart).",
}
SUBMISSION_MULTIPART = {
    "type": "object",
    "properties": {**SUBMISSION_JSON["properties"], "file": {"type": "string", "format": "binary"}},
    "required": ["assignment"],
}
WEEKLY_METRICS = {
    "type": "object",
    "properties": {
        "leads": {"type": "integer"},
        "consultations": {"type": "integer"},
        "deals": {"type": "integer"},
        "conversion_rate": RATE,
        "revenue": {"type": "string", "pattern": r"^-?\d+\.\d{2}$"},
        "refund_rate": RATE,
        "attendance_rate": RATE,
        "submission_rate": RATE,
        "pass_rate": RATE,
        "improvement_rate": RATE,
    },
    "required": list(METRIC_KEYS),
}


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "onepco API",
            "version": "1.0",
            "description": "Leads, homework submissions and the weekly dashboard.",
        },
        "servers": [{"url": settings.SITE_URL}],
        "components": {
            "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "sessionid"}}
        },
        "paths": {
            "/api/leads": {
                "post": {
                    "summary": "Capture a lead (public signup)",
                    "operationId": "lead_capture",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": LEAD_BODY},
                            "application/x-www-form-urlencoded": {"schema": LEAD_BODY},
                        },
                    },
                    "responses": {
                        "201": {
                            "description": "Received (a repeat signup answers the same way)",
                            "content": _json(
                                {
                                    "type": "object",
                                    "properties": {
                                        "id": {"type": "string"},
                                        "status": {"const": "received"},
                                    },
                                    "required": ["id", "status"],
                                }
                            ),
                        },
                        "400": {"description": "Invalid input", "content": _json(ERRORS)},
                        "413": {"description": "Body too large", "content": _json(DETAIL)},
                        "429": {"description": "Rate-limited", "content": _json(DETAIL)},
                    },
                }
            },
            "/api/submissions": {
                "post": {
                    "summary": "Submit homework (signed-in student)",
                    "operationId": "submission_submit",
                    "security": [{"session": []}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {"schema": SUBMISSION_MULTIPART},
                            "application/json": {"schema": SUBMISSION_JSON},
                        },
                    },
                    "responses": {
                        "201": {
                            "description": "Stored",
                            "content": _json(
                                {
                                    "type": "object",
                                    "properties": {
                                        "id": {"type": "integer"},
                                        "assignment": {"type": "integer"},
                                        "attempt": {"type": "integer", "minimum": 1},
                                        "submitted_at": {"type": "string", "format": "date-time"},
                                        "late": {"type": "boolean"},
                                    },
                                    "required": ["id", "assignment", "attempt", "submitted_at", "late"],
                                }
                            ),
                        },
                        "400": {"description": "Invalid input", "content": _json(ERRORS)},
                        "401": {"description": "Not signed in", "content": _json(DETAIL)},
                        "403": {"description": "Not enrolled in that cohort", "content": _json(DETAIL)},
                        "413": {"description": "File over the limit", "content": _json(ERRORS)},
                    },
                }
            },
            "/api/dashboard/weekly": {
                "get": {
                    "summary": "The week's ten numbers (staff only)",
                    "operationId": "dashboard_weekly",
                    "security": [{"session": []}],
                    "parameters": [
                        {
                            "name": "week",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "pattern": r"^\d{4}-W\d{2}$"},
                            "description": "ISO week, e.g. 2026-W47; default the current week.",
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "The week's numbers",
                            "content": _json(
                                {
                                    "type": "object",
                                    "properties": {
                                        "week": {"type": "string"},
                                        "start": {"type": "string", "format": "date"},
                                        "end": {"type": "string", "format": "date"},
                                        "source": {"enum": ["snapshot", "live"]},
                                        "computed_at": {"type": "string", "format": "date-time"},
                                        "partial": {
                                            "type": "boolean",
                                            "description": "True for a week not ended at as_of: only "
                                            "lessons started and assignments due before as_of are expected",
                                        },
                                        "as_of": {"type": "string", "format": "date-time"},
                                        "metrics": WEEKLY_METRICS,
                                        "north_star": {
                                            "type": "object",
                                            "properties": {
                                                "completion_rate": RATE,
                                                "effective_revenue": {"type": ["string", "null"]},
                                            },
                                        },
                                        "counts": {
                                            "type": "object",
                                            "additionalProperties": {"type": ["integer", "string"]},
                                        },
                                    },
                                    "required": [
                                        "week",
                                        "start",
                                        "end",
                                        "source",
                                        "computed_at",
                                        "partial",
                                        "as_of",
                                        "metrics",
                                        "north_star",
                                        "counts",
                                    ],
                                }
                            ),
                        },
                        "400": {"description": "Malformed week", "content": _json(ERRORS)},
                        "401": {"description": "Not signed in", "content": _json(DETAIL)},
                        "403": {"description": "Not staff", "content": _json(DETAIL)},
                    },
                }
            },
            # --- billing: provider notifications (called by the providers, not by clients) ---
            "/billing/notify/alipay/": {
                "post": {
                    "summary": "Alipay asynchronous notification (RSA2-signed form)",
                    "operationId": "notify_alipay",
                    "requestBody": {
                        "required": True,
                        "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}},
                    },
                    "responses": {
                        "200": {"description": "Processed: the plain text `success`"},
                        "400": {"description": "Rejected (signature, app id, seller, amount): `fail`"},
                        "404": {"description": "Alipay is not enabled"},
                    },
                }
            },
            "/billing/notify/wechat/": {
                "post": {
                    "summary": "WeChat Pay v3 notification (signed, AES-256-GCM resource)",
                    "operationId": "notify_wechat",
                    "parameters": [
                        {"name": h, "in": "header", "required": True, "schema": {"type": "string"}}
                        for h in (
                            "Wechatpay-Signature",
                            "Wechatpay-Timestamp",
                            "Wechatpay-Nonce",
                            "Wechatpay-Serial",
                        )
                    ],
                    "requestBody": {"required": True, "content": _json({"type": "object"})},
                    "responses": {
                        "200": {"description": "Processed", "content": _json({"type": "object"})},
                        "400": {
                            "description": "Rejected (signature, replay, merchant, amount)",
                            "content": _json(
                                {
                                    "type": "object",
                                    "properties": {"code": {"const": "FAIL"}, "message": {"type": "string"}},
                                }
                            ),
                        },
                        "404": {"description": "WeChat Pay is not enabled"},
                    },
                }
            },
            "/billing/webhooks/stripe/": {
                "post": {
                    "summary": "Stripe webhook (checkout.session.completed / async_payment_succeeded, charge.refunded)",
                    "operationId": "webhook_stripe",
                    "parameters": [
                        {
                            "name": "Stripe-Signature",
                            "in": "header",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "requestBody": {"required": True, "content": _json({"type": "object"})},
                    "responses": {
                        "200": {"description": "Processed (duplicates too)"},
                        "400": {"description": "Bad signature, outside the tolerance, or amount mismatch"},
                        "404": {"description": "Stripe is not enabled"},
                    },
                }
            },
        },
    }


@public
def openapi_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse(document(), json_dumps_params={"ensure_ascii": False, "indent": 2})
