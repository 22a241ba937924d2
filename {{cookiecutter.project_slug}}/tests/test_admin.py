"""The admin's changelist, add and change pages render for a superuser, for every model."""

import pytest
from django.contrib import admin
from django.urls import reverse

from {{ cookiecutter.project_slug }}.testing.seeding import seeds

from . import seeds as registered  # noqa: F401  (fills the registry)
from .factories import UserFactory

pytestmark = pytest.mark.django_db
MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)


@pytest.fixture
def superuser():
    return UserFactory.create(is_staff=True, is_superuser=True)


def admin_url(model, page):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}")


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_changelist_and_add_pages_render(client, rf, superuser, model):
    client.force_login(superuser)
    assert client.get(admin_url(model, "changelist")).status_code == 200
    request = rf.get("/")
    request.user = superuser
    if admin.site._registry[model].has_add_permission(request):
        assert client.get(admin_url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_change_page_renders(client, superuser, model):
    client.force_login(superuser)
    seeds.seed_for(model)(1, superuser)  # tests/seeds.py, or model-bakery
    changelist = client.get(admin_url(model, "changelist")).context["cl"]
    assert changelist.result_count > 0
    # The changelist links each row to its change page, however the admin maps its ids.
    url = changelist.url_for_result(changelist.result_list[0])
    assert client.get(url).status_code == 200
