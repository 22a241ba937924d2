{%- if cookiecutter.accounts == "allauth" -%}
from allauth.socialaccount import admin as social_admin
{% endif -%}
from django.contrib import admin
from django.contrib.auth import admin as auth_admin

from .forms import UserAdminChangeForm, UserAdminCreationForm
from .models import User


@admin.register(User)
class UserAdmin(auth_admin.UserAdmin):
    form = UserAdminChangeForm
    add_form = UserAdminCreationForm
{%- if cookiecutter.username_type == "email" %}
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_staff", "is_active")
    search_fields = ("email", "first_name", "last_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
    )
{%- endif %}
{%- if cookiecutter.accounts == "allauth" %}


# Social login apps and their secrets come from the environment only (config/settings/accounts.py)
# and access tokens are not stored: neither is kept in, or edited through, the database.
admin.site.unregister([social_admin.SocialApp, social_admin.SocialToken])
{%- endif %}
