from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, str]:
    """The site's name and its account links for every template (base.html shows both)."""
    return {"site_name": settings.SITE_NAME, "account_links": settings.ACCOUNT_LINKS_TEMPLATE}
