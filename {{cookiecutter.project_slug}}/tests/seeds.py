"""Hand-written seeds for the generated query-budget tests, where introspection is not enough.

A model without a seed here is filled by model-bakery (or its factory in tests/factories.py):
every relation of each row gets rows. Write a seed when the rows need a particular shape: it adds
`count` rows that the page lists for `requester`, a superuser, with every relation filled in so a
query per row would show (the seed-shape check fails on a relation left empty). See
docs/query-budgets.md.
"""

from typing import Any

{% if cookiecutter.accounts == "allauth" -%}
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.socialaccount.models import SocialAccount
{% endif -%}
from django.contrib.auth.models import Group, Permission

from {{ cookiecutter.project_slug }}.testing.seeding import seeds

from .factories import GroupFactory, UserFactory


@seeds.register(Group)
def seed_groups(count: int, requester: Any) -> None:
    # Real permissions, as the admin lists them by content type.
    permissions = list(Permission.objects.order_by("pk")[:3])
    members = UserFactory.create_batch(2)
    for group in GroupFactory.create_batch(count):
        group.permissions.add(*permissions)
        group.user_set.add(*members)
{%- if cookiecutter.accounts == "allauth" %}


@seeds.register(EmailAddress)
def seed_email_addresses(count: int, requester: Any) -> None:
    for user in UserFactory.create_batch(count):
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)


@seeds.register(Authenticator)
def seed_authenticators(count: int, requester: Any) -> None:
    # Real secrets: the admin lists each authenticator through its decrypted data.
    for user in UserFactory.create_batch(count):
        TOTP.activate(user, generate_totp_secret())


@seeds.register(SocialAccount)
def seed_social_accounts(count: int, requester: Any) -> None:
    for user in UserFactory.create_batch(count):
        SocialAccount.objects.create(user=user, provider="github", uid=str(user.pk))


# Confirmation links are signed (HMAC): no confirmation rows are ever written.
seeds.exempt("account.EmailAddress.emailconfirmation", reason="HMAC confirmations, no rows")
# Provider access tokens are not stored (SOCIALACCOUNT_STORE_TOKENS is off).
seeds.exempt("socialaccount.SocialAccount.socialtoken", reason="tokens are not stored")
# Each person's own passkeys, a handful at most, shown to that person only.
for path in (
    "/accounts/2fa/webauthn/",
    "/accounts/2fa/webauthn/keys/<pk>/edit/",
    "/accounts/2fa/webauthn/keys/<pk>/remove/",
):
    seeds.exempt(path, reason="the signed-in person's own passkeys")
{%- endif %}
