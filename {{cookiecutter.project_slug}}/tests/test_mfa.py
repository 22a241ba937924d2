"""Two-factor authentication: an authenticator app (TOTP), recovery codes, and the admin."""

import base64
import hashlib
import hmac
import struct
import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.cache import cache

from .conftest import PASSWORD
from .factories import UserFactory

pytestmark = pytest.mark.django_db


def totp(secret: str, at: float | None = None) -> str:
    """The code an authenticator app shows (RFC 6238: HMAC-SHA1, 30-second steps, six digits).

    Written out here so the tests check allauth against the standard, not against itself.
    """
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def test_the_code_generator_follows_rfc_6238():
    # RFC 6238, appendix B: SHA-1 key "12345678901234567890" at 59 s gives 94287082 (8 digits).
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp(secret, at=59) == "287082"


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()


@pytest.fixture(autouse=True)
def one_step_of_clock_tolerance(settings):
    """Codes of the next or last 30-second step count too, as the test's clock runs on.

    A code computed at the end of a step may reach allauth in the next one on a loaded machine.
    Used codes stay refused for the whole window: allauth marks them for all of it.
    """
    settings.MFA_TOTP_TOLERANCE = 1


@pytest.fixture
def member(db):
    user = UserFactory.create()
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    return user


def log_in(client, user, password=PASSWORD):
    return client.post("/accounts/login/", {"login": user.get_username(), "password": password})


def enrol_totp(client, user) -> str:
    """Sign in, turn on the authenticator app through its page, sign out; return the secret."""
    assert log_in(client, user)["Location"] == "/"
    # Changing a second factor asks for the password again, however recent the sign-in.
    asked = client.get("/accounts/2fa/totp/activate/")
    assert asked["Location"].startswith("/accounts/reauthenticate/")
    confirmed = client.post(asked["Location"], {"password": PASSWORD})
    assert confirmed["Location"] == "/accounts/2fa/totp/activate/"
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = page.context["form"].secret
    response = client.post("/accounts/2fa/totp/activate/", {"code": totp(secret)})
    assert response.status_code == 302, response.content
    client.post("/accounts/logout/")
    return secret


def test_enrolling_an_authenticator_app_then_signing_in_with_a_code(client, member):
    secret = enrol_totp(client, member)
    assert Authenticator.objects.filter(user=member, type=Authenticator.Type.TOTP).exists()

    response = log_in(client, member)
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert not client.get("/").context["user"].is_authenticated  # the password alone is not enough

    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    response = client.post("/accounts/2fa/authenticate/", {"code": totp(secret)})
    assert response["Location"] == "/"
    assert client.get("/").context["user"] == member


def test_a_code_that_signed_in_once_cannot_sign_in_again(client, member):
    secret = enrol_totp(client, member)
    log_in(client, member)
    code = totp(secret)
    assert client.post("/accounts/2fa/authenticate/", {"code": code})["Location"] == "/"
    client.post("/accounts/logout/")

    log_in(client, member)
    replayed = client.post("/accounts/2fa/authenticate/", {"code": code})
    # Refused as used, or as expired should the clock have moved on meanwhile.
    assert replayed.status_code == 200
    assert not replayed.context["user"].is_authenticated


def test_a_recovery_code_signs_in_once(client, member):
    enrol_totp(client, member)
    codes = (
        Authenticator.objects.get(user=member, type=Authenticator.Type.RECOVERY_CODES)
        .wrap()
        .get_unused_codes()
    )
    assert len(codes) == 10

    log_in(client, member)
    assert client.post("/accounts/2fa/authenticate/", {"code": codes[0]})["Location"] == "/"
    client.post("/accounts/logout/")

    log_in(client, member)
    reused = client.post("/accounts/2fa/authenticate/", {"code": codes[0]})
    assert reused.status_code == 200
    assert not reused.context["user"].is_authenticated


def test_staff_with_a_second_factor_open_the_admin(client, settings):
    settings.ACCOUNTS_STAFF_MFA_REQUIRED = True
    staff = UserFactory.create(is_staff=True, is_superuser=True)
    EmailAddress.objects.create(user=staff, email=staff.email, primary=True, verified=True)
    secret = enrol_totp(client, staff)

    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    log_in(client, staff)
    client.post("/accounts/2fa/authenticate/", {"code": totp(secret)})
    assert client.get("/admin/").status_code == 200
