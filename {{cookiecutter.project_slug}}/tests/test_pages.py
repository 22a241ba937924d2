import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.shortcuts import resolve_url

pytestmark = pytest.mark.django_db


def test_home_page_renders_for_visitors(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Log in" in response.content
    assert f'href="{resolve_url(settings.LOGIN_URL)}"'.encode() in response.content


def test_favicon_ico_leads_to_the_static_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith("favicon.svg")
    assert finders.find("favicon.svg")


def test_home_page_greets_a_signed_in_user(client, user):
    client.force_login(user)
    assert str(user).encode() in client.get("/").content


def external_links(html: str) -> list[str]:
    """src and href attributes pointing at another origin."""
    return re.findall(r'(?:src|href)="((?:https?:)?//[^"]+)"', html)


@pytest.mark.parametrize("signed_in", [False, True])
def test_home_page_loads_nothing_from_other_origins(client, user, signed_in):
    if signed_in:
        client.force_login(user)
    assert external_links(client.get("/").content.decode()) == []
