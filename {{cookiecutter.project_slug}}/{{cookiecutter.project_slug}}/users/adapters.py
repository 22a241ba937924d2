from typing import Any

from allauth.socialaccount.adapter import DefaultSocialAccountAdapter, _build_apps_from_settings
from allauth.socialaccount.models import SocialApp
from django.http import Http404, HttpRequest


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Social login apps from the environment only (config/settings/accounts.py)."""

    def list_apps(
        self, request: HttpRequest | None, provider: str | None = None, client_id: Any = None
    ) -> list[SocialApp]:
        # allauth would also read apps, with their secrets, from the database; this project keeps
        # none there, and pages listing providers need no query. (allauth has no public helper
        # for the settings half, hence its private function; the pin in pyproject.toml holds it.)
        apps = _build_apps_from_settings(provider=provider, client_id=client_id)
        return [app for provider_apps in apps.values() for app in provider_apps]

    def get_app(
        self, request: HttpRequest | None, provider: str, client_id: Any = None
    ) -> SocialApp:
        # A provider without credentials does not exist on this site: 404, not a server error.
        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist:
            raise Http404(f"Sign-in with {provider} is not configured.") from None
