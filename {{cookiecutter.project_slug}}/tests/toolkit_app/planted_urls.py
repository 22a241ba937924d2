"""The bookshop's routes with one query per row planted in each."""

from django.urls import path

{% if cookiecutter.use_drf -%}
from . import api
{% endif -%}
from .sites import careless
from .views import BookListWithoutPublisher, ReviewedBooksPerRow

urlpatterns = [
    path("books/", BookListWithoutPublisher.as_view(), name="book-list"),
    path("books/reviewed/", ReviewedBooksPerRow.as_view(), name="reviewed-books"),
    path("careless/", careless.urls),
{%- if cookiecutter.use_drf %}
    *api.planted_urlpatterns,
{%- endif %}
]
