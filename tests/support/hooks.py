"""The hook scripts as modules: their Jinja sits in a string, so they import unrendered."""

import importlib.util
from types import ModuleType

from .rendering import TEMPLATE

HOOKS = TEMPLATE / "hooks"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, HOOKS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pre_gen = load("pre_gen_project")
post_gen = load("post_gen_project")
