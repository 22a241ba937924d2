from django.conf import settings

from config import celery_app


def test_celery_reads_its_configuration_from_django_settings():
    assert celery_app.conf.broker_url == settings.CELERY_BROKER_URL
    assert celery_app.conf.task_acks_late is True
    assert celery_app.conf.accept_content == ["json"]
