"""A small bookshop for the query-budget toolkit's own tests, installed by tests/settings.py only.

It has every kind of relation (foreign key, nullable foreign key, many-to-many, reverse) behind
every kind of route the toolkit finds. urls.py holds the routes done right; planted_urls.py the
same routes, each with one query per row planted in it.
"""
