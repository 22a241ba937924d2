import factory

from {{ cookiecutter.project_slug }}.users.models import User


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
{%- if cookiecutter.username_type == "username" %}
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
{%- else %}
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@example.com")
{%- endif %}
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("correct horse battery staple")
