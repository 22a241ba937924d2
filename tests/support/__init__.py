"""What the template's tests share besides fixtures, one module per concern.

- options: the template's questions, read from cookiecutter.json (combinations, covering set)
- rendering: rendering a project (pytest-cookies for one-off renders, `render` for shared ones)
- tools: the environment and runner for commands inside a rendered project
- postgres: creating and dropping databases on the PostgreSQL server
- production: the environment a deployment sets for production settings
- services: where the local services are, and skipping (or failing) when one is missing
- hooks: the hook scripts imported as modules
- stack: nginx in front of Gunicorn on loopback, with the rendered deploy/ files
- celery: real Celery workers of a rendered project against Redis and PostgreSQL

Fixtures live in tests/conftest.py; benchmarks in bench/.
"""
