"""Accounts through django-allauth: sign-up, verification, sign-in, rate limits, social login,
and the admin behind the same sign-in (docs/accounts.md)."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import cache

from .conftest import PASSWORD
from .factories import UserFactory
from .test_pages import external_links

pytestmark = pytest.mark.django_db
LOGIN_FIELD = "{{ cookiecutter.username_type }}"
CONFIRMATION_LINK = re.compile(r"https?://testserver(/accounts/confirm-email/[^/\s]+/)")


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    # allauth counts attempts in the cache; every test starts with none.
    cache.clear()


@pytest.fixture(autouse=True)
def emails_sent_at_once(settings):
    # The flows are tested here, with their emails sent at once whatever the project's adapter.
    settings.ACCOUNT_ADAPTER = "allauth.account.adapter.DefaultAccountAdapter"


@pytest.fixture
def verified_user(user):
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    return user


def log_in(client, login: str, password: str = PASSWORD):
    return client.post("/accounts/login/", {"login": login, "password": password})


def sign_up(client, email: str):
    data = {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    if LOGIN_FIELD == "username":
        data["username"] = "newcomer"
    return client.post("/accounts/signup/", data)


def test_sign_up_sends_a_confirmation_link_that_unlocks_sign_in(client):
    response = sign_up(client, "new@example.com")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    client.logout()
    login = "newcomer" if LOGIN_FIELD == "username" else "new@example.com"
    # Mandatory verification: no session until the address is confirmed.
    refused = log_in(client, login)
    assert refused["Location"] == "/accounts/confirm-email/"
    assert not client.get("/").context["user"].is_authenticated

    [*_, email] = mail.outbox
    assert email.to == ["new@example.com"]
    link = CONFIRMATION_LINK.search(str(email.body))
    assert link, email.body
    assert client.get(link.group(1)).status_code == 200
    assert client.post(link.group(1))["Location"] == "/accounts/login/"
    assert EmailAddress.objects.get(email="new@example.com").verified

    response = log_in(client, login)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").context["user"].get_username() == login


def test_a_confirmation_link_works_only_for_its_own_key(client):
    sign_up(client, "new@example.com")
    assert client.post("/accounts/confirm-email/not-a-key/").status_code == 404
    assert not EmailAddress.objects.get(email="new@example.com").verified
{%- if cookiecutter.username_type == "username" %}


def test_people_sign_in_with_their_username_not_their_email(client, verified_user):
    assert log_in(client, verified_user.email).status_code == 200  # the form again
    assert not client.get("/").context["user"].is_authenticated
    assert log_in(client, verified_user.username)["Location"] == "/"
{%- else %}


def test_people_sign_in_with_their_email_in_any_case(client, verified_user):
    assert log_in(client, verified_user.email.upper())["Location"] == "/"
    assert client.get("/").context["user"] == verified_user
{%- endif %}


def test_a_wrong_password_is_refused(client, verified_user):
    response = log_in(client, verified_user.get_username(), "wrong")
    assert response.status_code == 200
    assert not response.context["user"].is_authenticated


def test_signing_out_needs_a_post(client, verified_user):
    client.force_login(verified_user)
    client.get("/accounts/logout/")
    assert client.get("/").context["user"].is_authenticated
    client.post("/accounts/logout/")
    assert not client.get("/").context["user"].is_authenticated


def test_a_burst_of_sign_ins_is_answered_429(client, verified_user):
    statuses = [log_in(client, f"nobody{n}", "wrong").status_code for n in range(35)]
    assert statuses[0] == 200
    assert 429 in statuses, statuses
    first = statuses.index(429)
    assert set(statuses[first:]) == {429}
    assert b"Too many attempts" in log_in(client, "nobody", "wrong").content


def test_a_burst_of_password_resets_is_answered_429(client):
    statuses = [
        client.post("/accounts/password/reset/", {"email": f"n{n}@example.com"}).status_code
        for n in range(25)
    ]
    assert statuses[0] == 302
    assert 429 in statuses, statuses
    assert set(statuses[statuses.index(429) :]) == {429}


def test_password_reset_sends_a_link_that_sets_a_new_password(client, verified_user):
    client.post("/accounts/password/reset/", {"email": verified_user.email})
    [email] = mail.outbox
    link = re.search(r"https?://testserver(/accounts/password/reset/key/\S+/)", str(email.body))
    assert link, email.body
    form = client.get(link.group(1), follow=True)
    new = "another horse battery staple"
    done = client.post(form.redirect_chain[-1][0], {"password1": new, "password2": new})
    assert done["Location"] == "/accounts/password/reset/key/done/"
    assert log_in(client, verified_user.get_username(), new)["Location"] == "/"


def test_social_login_is_absent_until_a_provider_is_configured(client, settings):
    page = client.get("/accounts/login/").content.decode()
    assert "github" not in page.lower()
    assert client.get("/accounts/github/login/").status_code == 404

    settings.SOCIALACCOUNT_PROVIDERS = {
        "github": {"APPS": [{"client_id": "id-from-env", "secret": "secret-from-env"}]}
    }
    page = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/github/login/?process=login"' in page


def test_the_admin_signs_staff_in_through_the_site_login(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_staff_without_a_second_factor_are_sent_to_set_one_up(client, settings):
    settings.ACCOUNTS_STAFF_MFA_REQUIRED = True
    staff = UserFactory.create(is_staff=True, is_superuser=True)
    client.force_login(staff)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain == [("/accounts/2fa/", 302)]
    assert "Set up two-factor authentication" in response.content.decode()

    settings.ACCOUNTS_STAFF_MFA_REQUIRED = False
    assert client.get("/admin/").status_code == 200


def test_people_who_are_not_staff_never_see_the_admin(client, verified_user):
    client.force_login(verified_user)
    assert client.get("/admin/login/").status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/accounts/email/",
        "/accounts/password/change/",
        "/accounts/2fa/",
        "/accounts/2fa/webauthn/",
    ],
)
def test_account_pages_use_the_site_layout_and_load_nothing_from_elsewhere(
    client, verified_user, path
):
    if path not in ("/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"):
        client.force_login(verified_user)
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="site-header"' in html
    assert 'href="/static/css/site.css"' in html
    assert external_links(html) == []
    assert " style=" not in html
    # Any script is one of this site's static files, or a JSON data block that never runs.
    for tag in re.findall(r"<script[^>]*>", html):
        assert 'type="application/json"' in tag or 'src="/static/' in tag, tag
