"""What config/settings/project.py sets reaches every environment, production included."""

import importlib

import pytest

from .production import VALID, load_settings

# A stand-in for project.py, set the way docs/deployment.md says ("HSTS rollout"); found first on
# the settings package's path, so base.py imports it last as it imports the real one.
PROJECT_SETTINGS = """
from config.settings.base import SILENCED_SYSTEM_CHECKS

SECURE_HSTS_INCLUDE_SUBDOMAINS = False
SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.W005"]
"""


@pytest.mark.parametrize("environment", ["local", "test", "production"])
def test_hsts_settings_from_project_py_take_effect(environment, tmp_path):
    (tmp_path / "project.py").write_text(PROJECT_SETTINGS)
    package = importlib.import_module("config.settings")
    package.__path__.insert(0, str(tmp_path))
    try:
        loaded = load_settings(VALID, f"config.settings.{environment}")
    finally:
        package.__path__.remove(str(tmp_path))
    assert loaded.SECURE_HSTS_INCLUDE_SUBDOMAINS is False
    assert "security.W005" in loaded.SILENCED_SYSTEM_CHECKS
