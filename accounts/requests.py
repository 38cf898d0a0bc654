"""The request a signed-in view receives, for type checking: its user is an account, never
AnonymousUser (staff_required, student_required and login_required see to that)."""

from django.http import HttpRequest

from accounts.models import User


class AuthenticatedRequest(HttpRequest):
    user: User
