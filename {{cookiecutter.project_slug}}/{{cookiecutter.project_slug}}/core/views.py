from typing import Any

from django.conf import settings
from django.shortcuts import resolve_url
from django.templatetags.static import static
from django.views.generic import RedirectView, TemplateView


class HomeView(TemplateView):
    template_name = "pages/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # Whichever account views the project uses, LOGIN_URL names their sign-in page.
        return {**super().get_context_data(**kwargs), "login_url": resolve_url(settings.LOGIN_URL)}


class FaviconView(RedirectView):
    """Browsers ask for /favicon.ico whatever the page links to: send them to the static icon."""

    def get_redirect_url(self, *args: object, **kwargs: object) -> str:
        # Looked up per request: the hashed name exists only once collectstatic has run.
        return static("favicon.svg")
