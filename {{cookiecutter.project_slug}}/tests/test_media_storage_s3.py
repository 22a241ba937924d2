"""Uploads on S3-compatible storage: production refuses to boot half-configured, URLs are signed
unless asked otherwise, and, when a bucket is reachable, a file saved is read back through it.

The round trip needs an S3 endpoint: set DJANGO_S3_TEST_ENDPOINT_URL (with the bucket and keys in
DJANGO_S3_BUCKET, DJANGO_S3_ACCESS_KEY_ID, DJANGO_S3_SECRET_ACCESS_KEY) to run it.
"""

import os
import urllib.error
import urllib.request
import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.test import override_settings

from .production import VALID, load_settings

S3_VARIABLES = ["DJANGO_S3_BUCKET", "DJANGO_S3_ACCESS_KEY_ID", "DJANGO_S3_SECRET_ACCESS_KEY"]


@pytest.mark.parametrize("variable", S3_VARIABLES)
def test_production_refuses_to_boot_without_each_s3_variable(variable):
    environ = {key: value for key, value in VALID.items() if key != variable}
    with pytest.raises(ImproperlyConfigured, match=variable):
        load_settings(environ)


def test_the_error_names_every_missing_variable_at_once():
    environ = {key: value for key, value in VALID.items() if key not in S3_VARIABLES}
    with pytest.raises(ImproperlyConfigured) as error:
        load_settings(environ)
    assert all(variable in str(error.value) for variable in S3_VARIABLES)


def test_uploads_are_private_with_signed_expiring_urls_by_default():
    options = load_settings(VALID).STORAGES["default"]["OPTIONS"]
    assert load_settings(VALID).STORAGES["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert options["querystring_auth"] is True
    assert options["querystring_expire"] == 3600


def test_public_urls_are_opt_in():
    settings = load_settings({**VALID, "DJANGO_S3_PUBLIC_URLS": "true"})
    assert settings.STORAGES["default"]["OPTIONS"]["querystring_auth"] is False


def test_development_keeps_uploads_on_the_filesystem(settings):
    assert settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage")


def bucket_storage_settings() -> dict:
    endpoint = os.environ.get("DJANGO_S3_TEST_ENDPOINT_URL")
    if not endpoint:
        pytest.skip("no S3 endpoint: set DJANGO_S3_TEST_ENDPOINT_URL to run against a bucket")
    environ = {**VALID, **os.environ, "DJANGO_S3_ENDPOINT_URL": endpoint}
    return load_settings(environ).STORAGES


def test_a_saved_file_is_read_back_through_a_signed_url_only():
    bucket = bucket_storage_settings()
    with override_settings(STORAGES=bucket):
        storage = storages.create_storage(bucket["default"])
        name = storage.save(f"tests/{uuid.uuid4().hex}.txt", ContentFile(b"hello"))
        try:
            url = storage.url(name)
            assert "Signature" in url or "X-Amz-Signature" in url
            with urllib.request.urlopen(url, timeout=10) as response:
                assert response.read() == b"hello"
            unsigned = url.split("?", 1)[0]
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(unsigned, timeout=10)
            assert refused.value.code == 403
        finally:
            storage.delete(name)
