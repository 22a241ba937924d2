import factory
from django.contrib.auth.models import Group

from {{ cookiecutter.project_slug }}.users.models import User


class GroupFactory(factory.django.DjangoModelFactory[Group]):
    class Meta:
        model = Group
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"group{n}")


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True
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

    @factory.post_generation
    def groups(self, create: bool, extracted: list[Group] | None, **kwargs: object) -> None:
        """`UserFactory.create(groups=[...])` puts the user in those groups."""
        if create and extracted:
            self.groups.add(*extracted)
