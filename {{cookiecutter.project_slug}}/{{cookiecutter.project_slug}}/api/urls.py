"""The REST API's one router: each domain's endpoints under its own prefix, then the schema.

A domain keeps its serializers and views in its app's api.py, with the URL patterns at the end;
add a line here to publish them (docs/api.md).
"""

from django.urls import include, path

from .docs import SchemaView, swagger_ui_view

urlpatterns = [
    path("users/", include("{{ cookiecutter.project_slug }}.users.api")),
    # Your endpoints:
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path("docs/", swagger_ui_view(), name="api-docs"),
]
