"""Shared plumbing of the JSON API: reading a body safely and answering errors the same way.

Every API view validates with the same Django form as its HTML page; these helpers turn the
request into form data and the form's errors into `{"errors": {"field": ["message"]}}`.
"""

import json
from collections.abc import Callable, Iterable
from functools import wraps

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.forms import Form
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class ApiError(Exception):
    def __init__(self, status: int, payload: dict):
        super().__init__(status, payload)
        self.status = status
        self.payload = payload


def field_errors(errors: dict[str, list[str]], status: int = 400) -> ApiError:
    return ApiError(status, {"errors": errors})


def api_view(view: Callable) -> Callable:
    """Turns an ApiError raised anywhere in the view into its JSON answer."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except ApiError as exc:
            return JsonResponse(exc.payload, status=exc.status)

    return wrapper


def form_errors(form: Form) -> dict[str, list[str]]:
    return {
        (field if field != "__all__" else "non_field_errors"): [str(m) for m in messages]
        for field, messages in form.errors.items()
    }


def read_payload(
    request: HttpRequest, allowed: Iterable[str], *, files_allowed: bool = False
) -> tuple[QueryDict, MultiValueDict, dict[str, list[str]]]:
    """The request's fields as a QueryDict (JSON or form-encoded), its files, and an error for
    each field the API does not take (for `refuse_unknown`, after the form has run).

    Raises ApiError: 413 for a body over the limit, 400 for a content type we do not take,
    malformed or too deeply nested JSON, or a JSON value that is not an object of scalars.
    """
    content_type = request.content_type or ""
    try:
        if content_type == "application/json":
            data = _json_fields(request.body)
            files: MultiValueDict = MultiValueDict()
        elif content_type in FORM_TYPES:
            data = request.POST.copy()
            files = request.FILES
        else:
            accepted = "application/json, " + ", ".join(FORM_TYPES)
            raise ApiError(
                400,
                {"detail": _("Unsupported content type. Send one of: %(types)s.") % {"types": accepted}},
            )
    except RequestDataTooBig:
        raise ApiError(413, {"detail": _("The request body is too large.")}) from None
    except (TooManyFieldsSent, MultiPartParserError):
        raise ApiError(400, {"detail": _("The request body could not be read.")}) from None
    allowed = set(allowed)
    unknown = sorted((set(data.keys()) | set(files.keys())) - allowed)
    if files and not files_allowed:
        unknown = sorted(set(unknown) | set(files.keys()))
    return data, files, {name: [_("Unknown field.")] for name in unknown}


def refuse_unknown(unknown: dict[str, list[str]], form: Form) -> None:
    """400 for unknown fields, listing the form's own errors beside them, so that a client
    fixes everything in one go. Nothing is saved."""
    if unknown:
        form.is_valid()
        raise field_errors({**form_errors(form), **unknown})


def _json_fields(body: bytes) -> QueryDict:
    try:
        value = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, {"detail": _("The body is not valid JSON.")}) from None
    except RecursionError:
        # The parser recurses once per level: `[[[[…` a hundred thousand deep exhausts the stack
        # long before the body size limit. No field of ours is nested at all.
        raise ApiError(400, {"detail": _("The JSON body is nested too deeply.")}) from None
    if not isinstance(value, dict):
        raise ApiError(400, {"detail": _("The JSON body must be an object.")})
    data = QueryDict(mutable=True)
    errors = {}
    for key, item in value.items():
        if item is None:
            continue
        if isinstance(item, bool):
            data[key] = "true" if item else "false"
        elif isinstance(item, (str, int, float)):
            data[key] = str(item)
        else:
            errors[key] = [_("Expected a single value.")]
    if errors:
        raise field_errors(errors)
    return data
