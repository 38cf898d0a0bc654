"""Who may reach what. Views are guarded by these few helpers, nothing ad hoc.

Pages send an anonymous visitor to the login page and answer 403 to a signed-in user without
the role; API views answer 401 / 403 as JSON.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _


def is_student(user) -> bool:
    return user.is_authenticated and hasattr(user, "student")


def staff_required(view: Callable) -> Callable:
    """The founder console."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapper.access_rule = "staff"  # type: ignore[attr-defined]
    return wrapper


def student_required(view: Callable) -> Callable:
    """Learner pages: a signed-in user with a learner profile."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_student(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapper.access_rule = "student"  # type: ignore[attr-defined]
    return wrapper


def api_staff_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return JsonResponse({"detail": _("Authentication required.")}, status=401)
        if not request.user.is_staff:
            return JsonResponse({"detail": _("Staff only.")}, status=403)
        return view(request, *args, **kwargs)

    wrapper.access_rule = "staff"  # type: ignore[attr-defined]
    return wrapper


def api_login_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return JsonResponse({"detail": _("Authentication required.")}, status=401)
        return view(request, *args, **kwargs)

    wrapper.access_rule = "login"  # type: ignore[attr-defined]
    return wrapper


def public(view: Callable) -> Callable:
    """Marks a view as open to everyone, on purpose (the URL access test reads this)."""
    view.access_rule = "public"  # type: ignore[attr-defined]
    return view


def provider_signed(view: Callable) -> Callable:
    """Marks a payment notification endpoint: open, but only signed payloads change anything."""
    view.access_rule = "provider-signed"  # type: ignore[attr-defined]
    return view


def login_required(view: Callable) -> Callable:
    """Pages for anyone signed in (their own account page)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapper.access_rule = "login"  # type: ignore[attr-defined]
    return wrapper
