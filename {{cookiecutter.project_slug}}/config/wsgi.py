"""WSGI entry point for Gunicorn: production settings, and no other (config/entrypoint.py)."""

from django.core.wsgi import get_wsgi_application

from config.entrypoint import use_production_settings

use_production_settings()

application = get_wsgi_application()
