"""The Kubernetes manifests wire every setting: the ConfigMap and the example Secret list exactly
the variables of .env.example, and production boots with what they set."""

import re

from .processes import ahead
from .production import PRODUCTION, VALID, process_environment
from .test_env_example import ROOT, variables_in_example

MANIFESTS = ROOT / "deploy" / "kubernetes"
# A key of the ConfigMap's data or the Secret's stringData: set, or commented out (left at its
# default, as in .env.example).
KEY = re.compile(r"  (# )?([A-Z][A-Z0-9_]*): ?(.*)")
# Set by the image, and left alone: a container reads no .env file, and Gunicorn listens on the
# image's PORT, the port the manifests probe and route to (GUNICORN_BIND would override it).
SET_BY_THE_IMAGE = {"DJANGO_READ_DOT_ENV", "PORT", "GUNICORN_BIND"}


def keys(filename: str) -> dict[str, str | None]:
    """Each variable in a manifest with its value, or None when it is commented out."""
    found: dict[str, str | None] = {}
    for line in (MANIFESTS / filename).read_text(encoding="utf-8").splitlines():
        match = KEY.fullmatch(line)
        if match:
            commented, name, value = match.groups()
            found[name] = None if commented else value.strip('"')
    return found


def manifest_variables() -> dict[str, str | None]:
    return {**keys("config.yaml"), **keys("secret.yaml.example")}


def test_manifests_list_exactly_the_variables_of_env_example():
    documented = set(variables_in_example()) - SET_BY_THE_IMAGE
    assert set(manifest_variables()) == documented


def manifest_environment() -> dict[str, str]:
    """What the manifests set, with the example Secret's placeholders made real values."""
    wired = {name: value for name, value in manifest_variables().items() if value is not None}
    return wired | {name: VALID[name] for name in VALID if name in wired}


deploy_check_with_the_manifests = ahead(
    "deploy_check_with_the_manifests",
    ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
    process_environment(manifest_environment(), PRODUCTION),
)


def test_production_boots_with_the_variables_the_manifests_set(deploy_check_with_the_manifests):
    assert set(VALID) <= set(manifest_environment()), (
        "a variable production requires is not set by the manifests"
    )
    assert deploy_check_with_the_manifests.returncode == 0, deploy_check_with_the_manifests.stderr
