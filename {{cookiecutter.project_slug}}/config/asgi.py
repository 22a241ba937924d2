"""ASGI entry point: production settings, and no other (config/entrypoint.py)."""

from django.core.asgi import get_asgi_application

from config.entrypoint import use_production_settings

use_production_settings()

application = get_asgi_application()
