{%- if cookiecutter.accounts == "allauth" -%}
from allauth.account.decorators import secure_admin_login
{% endif -%}
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
{%- if cookiecutter.accounts == "allauth" %}

# The admin signs people in through the site's login, with its second factor and rate limits.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
{%- endif %}

urlpatterns = [
    path("", include("{{ cookiecutter.project_slug }}.core.urls")),
{%- if cookiecutter.accounts == "allauth" %}
    path("accounts/", include("allauth.urls")),
{%- else %}
    path("accounts/", include("django.contrib.auth.urls")),
{%- endif %}
{%- if cookiecutter.use_drf %}
    path("api/", include("{{ cookiecutter.project_slug }}.api.urls")),
{%- endif %}
    path(settings.ADMIN_URL, admin.site.urls),
    # Your URLs:
]
{%- if cookiecutter.use_drf %}

# Django's error pages, in the API's JSON error shape under /api/.
handler400 = "{{ cookiecutter.project_slug }}.api.handlers.bad_request"
handler403 = "{{ cookiecutter.project_slug }}.api.handlers.permission_denied"
handler404 = "{{ cookiecutter.project_slug }}.api.handlers.page_not_found"
handler500 = "{{ cookiecutter.project_slug }}.api.handlers.server_error"
{%- endif %}
