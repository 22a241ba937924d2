"""Accounts through django-allauth: sign-up, email verification, two-factor and social login.

base.py imports this module near its end, so every environment has the same account rules;
docs/accounts.md describes the flows and every variable read here.
"""

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import INSTALLED_APPS, MIDDLEWARE, env

INSTALLED_APPS = [
    *INSTALLED_APPS,
    "django.contrib.humanize",  # allauth's pages use its filters
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.github",
    "allauth.socialaccount.providers.google",
]
MIDDLEWARE = [
    *MIDDLEWARE,
    "allauth.account.middleware.AccountMiddleware",
    # Staff reach the admin only once they have a second factor (ACCOUNTS_STAFF_MFA_REQUIRED).
    "{{ cookiecutter.project_slug }}.users.staff_mfa.StaffMFAMiddleware",
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
# The release step's migration linter judges this project's migrations, not allauth's own.
MIGRATION_LINTER_OPTIONS = {"exclude_apps": ["account", "mfa", "socialaccount"]}
ACCOUNT_LINKS_TEMPLATE = "account/nav.html"

# Sign-up and sign-in
# ------------------------------------------------------------------------------
{%- if cookiecutter.username_type == "email" %}
# The user model has no username: people sign up and sign in with their email address.
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
{%- else %}
# People sign in with their username; the email address is required for verification and resets.
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
{%- endif %}
ACCOUNT_UNIQUE_EMAIL = True
# mandatory: no sign-in before the address is confirmed; optional: a reminder only; none: no email.
ACCOUNT_EMAIL_VERIFICATION = env("DJANGO_ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
if ACCOUNT_EMAIL_VERIFICATION not in ("mandatory", "optional", "none"):
    raise ImproperlyConfigured(
        f"DJANGO_ACCOUNT_EMAIL_VERIFICATION is {ACCOUNT_EMAIL_VERIFICATION!r}. "
        "Set it to mandatory, optional or none."
    )
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[{{ cookiecutter.project_name }}] "
# Tell people by email when their password, addresses or second factors change.
ACCOUNT_EMAIL_NOTIFICATIONS = True
# Signing out is a POST (with its CSRF token), so a link or an image cannot sign anyone out.
ACCOUNT_LOGOUT_ON_GET = False
# allauth's rate limits (sign-in, failed sign-ins, sign-up, password reset, email confirmation)
# are on with their defaults, listed in docs/accounts.md. They count in the default cache, which
# every process shares once REDIS_URL is set; a refused request answers 429 (templates/429.html).
# One limit per view: the ones in base.py's RATE_LIMITS are for Django's own login views, which
# allauth replaces, and the admin's login only sends people to allauth's. Name a view of your own
# here to have core/ratelimit.py limit it.
RATE_LIMITS: dict[str, str] = {}

# Two-factor authentication
# ------------------------------------------------------------------------------
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
# Passkeys may also replace the password at sign-in.
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "{{ cookiecutter.project_name }}"
# Browsers allow WebAuthn on https only, and on http://localhost for development.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = env.bool(
    "DJANGO_WEBAUTHN_ALLOW_INSECURE_ORIGIN", default=False
)
# Staff without a second factor are sent to set one up before the admin opens.
ACCOUNTS_STAFF_MFA_REQUIRED = env.bool("DJANGO_STAFF_MFA_REQUIRED", default=True)

# Social login
# ------------------------------------------------------------------------------
# Providers come from the environment only: no secret in the database or the repository, and a
# provider without credentials is not offered on any page.
SOCIALACCOUNT_ADAPTER = "{{ cookiecutter.project_slug }}.users.adapters.SocialAccountAdapter"
SOCIALACCOUNT_PROVIDERS: dict[str, dict] = {}
if GITHUB_CLIENT_ID := env("DJANGO_GITHUB_CLIENT_ID", default=""):
    SOCIALACCOUNT_PROVIDERS["github"] = {
        "APPS": [{"client_id": GITHUB_CLIENT_ID, "secret": env("DJANGO_GITHUB_SECRET")}],
        "SCOPE": ["user:email"],
    }
if GOOGLE_CLIENT_ID := env("DJANGO_GOOGLE_CLIENT_ID", default=""):
    SOCIALACCOUNT_PROVIDERS["google"] = {
        "APPS": [{"client_id": GOOGLE_CLIENT_ID, "secret": env("DJANGO_GOOGLE_SECRET")}],
        "SCOPE": ["profile", "email"],
    }
{%- if cookiecutter.use_celery %}

# Account emails (verification, password reset, security notices) go through the task queue.
ACCOUNT_ADAPTER = "{{ cookiecutter.project_slug }}.emails.accounts.QueuedEmailAccountAdapter"
{%- endif %}
