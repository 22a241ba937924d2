from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("{{ cookiecutter.project_slug }}.core.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
{%- if cookiecutter.use_drf %}
    path("api/", include("{{ cookiecutter.project_slug }}.api.urls")),
{%- endif %}
    path(settings.ADMIN_URL, admin.site.urls),
    # Your URLs:
]
