"""This project's own settings, applied after base.py in every environment.

Template upgrades never change this file, so settings added here cannot conflict with them. Build
on what base.py defines instead of copying it, for example:

    from config.settings.base import MIDDLEWARE

    MIDDLEWARE = [*MIDDLEWARE, "shop.middleware.BasketMiddleware"]
    SHOP_PAGE_SIZE = 20

Read environment variables through `env` from config.settings.base, and list them in .env.example.
Your own apps go in LOCAL_APPS in base.py, below the "Your apps" line.
"""
