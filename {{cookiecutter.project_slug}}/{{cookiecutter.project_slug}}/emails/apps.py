from django.apps import AppConfig


class EmailsConfig(AppConfig):
    name = "{{ cookiecutter.project_slug }}.emails"
    label = "emails"
    verbose_name = "Emails"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the receivers)
