"""The container files are valid as rendered: compose against the compose specification, the
Kubernetes manifests against the Kubernetes schemas (offline), for Celery on and off.

hadolint runs on every combination in test_render.py; the image is built and run in
test_image.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from .support.rendering import baked
from .support.tools import TOOL_BIN

# The oldest Kubernetes release still supported upstream when this was written.
KUBERNETES_VERSION = "1.33"
# What Kubernetes requires of object names (RFC 1123); the schemas do not check it.
DNS_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


def tool(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(TOOL_BIN / name), *args], capture_output=True, text=True)


def manifests(project: Path, tmp_path: Path) -> list[Path]:
    """The manifests, and the example Secret under a name the validator reads as YAML."""
    directory = project / "deploy" / "kubernetes"
    secret = tmp_path / "secret.yaml"
    shutil.copy(directory / "secret.yaml.example", secret)
    return [*sorted(directory.glob("*.yaml")), secret]


def documents(paths: list[Path]) -> list[dict]:
    return [doc for path in paths for doc in yaml.safe_load_all(path.read_text()) if doc]


@pytest.fixture(params=[True, False], ids=["celery", "no-celery"])
def project(request, cookies) -> Path:
    return baked(cookies.bake(extra_context={"use_celery": request.param}))


def test_compose_file_matches_the_compose_specification(project):
    result = tool(
        "check-jsonschema",
        "--builtin-schema",
        "vendor.compose-spec",
        str(project / "compose.yaml"),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_broken_compose_file_is_caught(cookies):
    project = baked(cookies.bake())
    compose = yaml.safe_load((project / "compose.yaml").read_text())
    compose["services"]["web"]["ports"] = {"not": "a list"}
    (project / "compose.yaml").write_text(yaml.safe_dump(compose))
    result = tool(
        "check-jsonschema", "--builtin-schema", "vendor.compose-spec", str(project / "compose.yaml")
    )
    assert result.returncode != 0


def test_compose_runs_the_celery_services_only_with_celery(project):
    services = set(yaml.safe_load((project / "compose.yaml").read_text())["services"])
    core = {"web", "db", "mailpit"}
    celery = {"worker", "beat", "redis"}  # the default broker
    has_celery = (project / "deploy" / "kubernetes" / "celery.yaml").exists()
    assert services == (core | celery if has_celery else core)


def test_compose_redis_keeps_and_never_evicts_tasks(cookies):
    project = baked(cookies.bake())
    command = yaml.safe_load((project / "compose.yaml").read_text())["services"]["redis"]["command"]
    for setting in (["--appendonly", "yes"], ["--maxmemory-policy", "noeviction"]):
        index = command.index(setting[0])
        assert command[index : index + 2] == setting


def test_manifests_validate_against_the_kubernetes_schemas(project, tmp_path):
    paths = manifests(project, tmp_path)
    result = tool("kubernetes-validate", "--strict", "-k", KUBERNETES_VERSION, *map(str, paths))
    assert result.returncode == 0, result.stdout + result.stderr
    kinds = sorted(doc["kind"] for doc in documents(paths))
    deployments = 3 if (project / "deploy" / "kubernetes" / "celery.yaml").exists() else 1
    assert kinds == sorted(
        ["ConfigMap", "Secret", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Job"]
        + ["Ingress"] * 2
        + ["Deployment"] * deployments
    )


def test_a_broken_manifest_is_caught(cookies):
    project = baked(cookies.bake())
    web = project / "deploy" / "kubernetes" / "web.yaml"
    web.write_text(web.read_text().replace("containerPort: 8000", "containerPort: eight"))
    result = tool("kubernetes-validate", "--strict", "-k", KUBERNETES_VERSION, str(web))
    assert result.returncode != 0


def test_manifest_names_are_valid_kubernetes_names(project, tmp_path):
    names = [doc["metadata"]["name"] for doc in documents(manifests(project, tmp_path))]
    assert [name for name in names if not DNS_NAME.fullmatch(name)] == []


def pod_specs(docs: list[dict]) -> dict[str, dict]:
    return {
        doc["metadata"]["name"]: doc["spec"]["template"]["spec"]
        for doc in docs
        if doc["kind"] in ("Deployment", "Job")
    }


def test_every_pod_is_unprivileged_read_only_and_wired_to_the_settings(project, tmp_path):
    docs = documents(manifests(project, tmp_path))
    config_map, secret = (
        next(doc["metadata"]["name"] for doc in docs if doc["kind"] == kind)
        for kind in ("ConfigMap", "Secret")
    )
    for name, spec in pod_specs(docs).items():
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        for container in spec["containers"]:
            assert container["securityContext"]["readOnlyRootFilesystem"] is True, name
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
            assert "/tmp" in [mount["mountPath"] for mount in container["volumeMounts"]], name
            assert container["resources"]["requests"] and container["resources"]["limits"], name
            sources = container["envFrom"]
            assert {"configMapRef": {"name": config_map}} in sources, name
            assert {"secretRef": {"name": secret}} in sources, name


def test_web_rolls_out_without_losing_capacity_and_beat_runs_alone(cookies, tmp_path):
    project = baked(cookies.bake())
    docs = documents(manifests(project, tmp_path))
    deployments = {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == "Deployment"}
    web = deployments["acme-portal-web"]["spec"]
    assert web["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    probes = web["template"]["spec"]["containers"][0]
    assert probes["readinessProbe"]["httpGet"]["path"] == "/readyz/"
    assert probes["livenessProbe"]["httpGet"]["path"] == "/healthz/"
    beat = deployments["acme-portal-beat"]["spec"]
    assert beat["replicas"] == 1
    assert beat["strategy"] == {"type": "Recreate"}
