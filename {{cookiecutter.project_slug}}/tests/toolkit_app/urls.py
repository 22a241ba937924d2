"""The bookshop's routes, each fetching what it shows up front."""

from django.urls import include, path

{% if cookiecutter.use_drf -%}
from . import api
{% endif -%}
from .sites import backoffice
from .views import BookDetailView, BookListView, ReviewedBooksView, TagListView

shelf = [path("tags/", TagListView.as_view())]  # unnamed, in a namespace

urlpatterns = [
    path("books/", BookListView.as_view(), name="book-list"),
    path("books/<int:pk>/", BookDetailView.as_view(), name="book-detail"),
    path("books/reviewed/", ReviewedBooksView.as_view(), name="reviewed-books"),
    path("shelf/", include((shelf, "shelf"))),
    path("backoffice/", backoffice.urls),
{%- if cookiecutter.use_drf %}
    path("api/", include(api.urlpatterns)),
{%- endif %}
]
