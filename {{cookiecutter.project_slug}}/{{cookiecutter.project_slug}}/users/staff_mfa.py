"""Staff open the admin only once their account has a second factor."""

from collections.abc import Callable

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


class StaffMFAMiddleware:
    """Sends staff without two-factor authentication to set it up (ACCOUNTS_STAFF_MFA_REQUIRED).

    The admin's own login already goes through the site's login and its second factor
    (config/urls.py); this closes the gap for staff who never set one up.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.admin_prefix = "/" + settings.ADMIN_URL.lstrip("/")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            settings.ACCOUNTS_STAFF_MFA_REQUIRED
            and request.path.startswith(self.admin_prefix)
            and user.is_authenticated
            and user.is_staff
            and not is_mfa_enabled(user)
        ):
            messages.warning(request, "Set up two-factor authentication to use the admin.")
            return redirect("mfa_index")
        return self.get_response(request)
