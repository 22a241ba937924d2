"""Uploads on S3-compatible storage (Amazon S3, MinIO, SeaweedFS ...) through django-storages.

production.py uses this; development and tests keep uploads in MEDIA_ROOT, so a checkout needs no
bucket. With several app servers every one of them must see every upload: a local directory
cannot do that, a bucket can (docs/media.md).
"""

from django.core.exceptions import ImproperlyConfigured
from environ import Env

REQUIRED = {
    "DJANGO_S3_BUCKET": "the bucket's name",
    "DJANGO_S3_ACCESS_KEY_ID": "the access key the app signs requests with",
    "DJANGO_S3_SECRET_ACCESS_KEY": "that key's secret",
}


def s3_media_storage(env: Env) -> dict:
    """The STORAGES["default"] entry for the bucket the environment names."""
    missing = [variable for variable in REQUIRED if not env(variable, default="")]
    if missing:
        wanted = "; ".join(f"{variable}: {REQUIRED[variable]}" for variable in missing)
        raise ImproperlyConfigured(
            f"{', '.join(missing)} not set: uploads go to S3-compatible storage. Set {wanted}."
        )
    # Private by default: every URL the app hands out is signed and expires, so an upload is
    # reachable only through a page that chose to link it. Public URLs need a bucket policy that
    # allows anonymous reads (docs/media.md).
    public = env.bool("DJANGO_S3_PUBLIC_URLS", default=False)
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("DJANGO_S3_BUCKET"),
            "access_key": env("DJANGO_S3_ACCESS_KEY_ID"),
            "secret_key": env("DJANGO_S3_SECRET_ACCESS_KEY"),
            # Unset for Amazon S3; the provider's URL for any other S3-compatible store.
            "endpoint_url": env("DJANGO_S3_ENDPOINT_URL", default=None),
            "region_name": env("DJANGO_S3_REGION", default=None),
            # A CDN or bucket host name for public URLs, e.g. media.example.com.
            "custom_domain": env("DJANGO_S3_CUSTOM_DOMAIN", default=None),
            "querystring_auth": not public,
            "querystring_expire": env.int("DJANGO_S3_URL_EXPIRY", default=3600),
            # Signature version 4: every region and provider accepts it; version 2 is retired.
            "signature_version": "s3v4",
            # Two uploads with the same name keep both files instead of one replacing the other.
            "file_overwrite": False,
            # Path-style URLs (endpoint/bucket/key) work with every provider, no DNS per bucket.
            "addressing_style": "path",
        },
    }
