"""Write the rendered project's lock file, `requirements.txt`, for every combination of options.

Run as `make lock` in the template after changing a pin in the rendered pyproject.toml. For each
set of direct dependencies the options can produce, uv resolves the project exactly as the
project's own `make lock` would (universal, Python 3.11), all of them held to the versions of
one resolution of every dependency together, so two combinations never disagree on a version.
Each pinned line is then wrapped in the Jinja condition under which it belongs, so rendering is
offline and a project's `make lock` reproduces its file byte for byte (tests/test_lock.py).

No tool writes a lock for a template whose dependencies vary with its answers; this is the
smallest thing that does: uv resolves, this file only decides where each line belongs.
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from cookiecutter.environment import StrictEnvironment

from tests.support.options import DEFAULTS, TEMPLATE, default_of, option_values, questions

SOURCE = TEMPLATE / "{{cookiecutter.project_slug}}"
LOCK = SOURCE / "requirements.txt"
# What the project's `make lock` runs, less the output file; keep the two equal.
COMPILE = [
    "pip",
    "compile",
    "--quiet",
    "--universal",
    "--python-version",
    "3.11",
    "--no-annotate",
    "--custom-compile-command",
    "make lock",
    "--extra",
    "dev",
]

Answers = dict[str, object]
Requirements = tuple[str, ...]


def answers_for(combination: Answers) -> Answers:
    answers = {key: default_of(DEFAULTS, key) for key in questions(DEFAULTS)}
    answers.update(combination, project_slug="acme_portal")
    return answers


def render_pyproject(answers: Answers) -> str:
    environment = StrictEnvironment(context={"cookiecutter": DEFAULTS}, keep_trailing_newline=True)
    template = environment.from_string((SOURCE / "pyproject.toml").read_text(encoding="utf-8"))
    return template.render(cookiecutter=answers)


def direct_requirements(pyproject: str) -> Requirements:
    project = tomllib.loads(pyproject)["project"]
    return tuple(sorted([*project["dependencies"], *project["optional-dependencies"]["dev"]]))


def dependency_options() -> dict[str, list[object]]:
    """The options whose answers change the direct requirements, each with its answers."""
    baseline = direct_requirements(render_pyproject(answers_for({})))
    return {
        key: values
        for key, values in option_values(DEFAULTS).items()
        if any(
            direct_requirements(render_pyproject(answers_for({key: value}))) != baseline
            for value in values
        )
    }


def uv(*args: str, cwd: Path) -> None:
    uv_bin = shutil.which("uv", path=str(Path(sys.executable).parent)) or "uv"
    subprocess.run([uv_bin, *args], cwd=cwd, check=True)


def resolve_all(pyprojects: dict[Requirements, str], work: Path) -> dict[Requirements, list[str]]:
    """Each set of requirements resolved, all held to one joint resolution's versions."""
    joint = sorted(set().union(*pyprojects))
    (work / "all.in").write_text("\n".join(joint) + "\n")
    uv(*COMPILE[:7], "all.in", "-o", "all.txt", cwd=work)
    resolved: dict[Requirements, list[str]] = {}
    for index, (requirements, pyproject) in enumerate(sorted(pyprojects.items())):
        case = work / f"case{index}"
        case.mkdir()
        (case / "pyproject.toml").write_text(pyproject)
        uv(*COMPILE, "pyproject.toml", "-c", "../all.txt", "-o", "requirements.txt", cwd=case)
        resolved[requirements] = (case / "requirements.txt").read_text().splitlines()
    return resolved


def literal(key: str, value: object) -> str:
    if isinstance(value, bool):
        return f"cookiecutter.{key}" if value else f"not cookiecutter.{key}"
    return f'cookiecutter.{key} == "{value}"'


def condition(present: set[tuple], dims: dict[str, list[object]]) -> str | None:
    """The shortest `a and b or c` over the options that holds exactly on `present`.

    `present` holds assignments of `dims` (tuples in the order of `dims`). Terms are conjunctions
    of up to three answers that hold only where the line belongs; a greedy cover picks them.
    """
    everything = set(itertools.product(*dims.values()))
    if present == everything:
        return None
    names = list(dims)
    literals = [(index, value) for index, key in enumerate(names) for value in dims[key]]
    terms = []
    for size in (1, 2, 3):
        for chosen in itertools.combinations(literals, size):
            if len({index for index, _ in chosen}) < size:
                continue
            holds = {row for row in everything if all(row[i] == v for i, v in chosen)}
            if holds and holds <= present:
                terms.append((chosen, holds))
    uncovered, picked = set(present), []
    while uncovered:
        chosen, holds = max(terms, key=lambda term: (len(term[1] & uncovered), -len(term[0])))
        if not holds & uncovered:
            raise SystemExit(f"no condition of three answers or fewer selects {sorted(present)}")
        picked.append(" and ".join(literal(names[i], v) for i, v in chosen))
        uncovered -= holds
    return " or ".join(sorted(picked))


def lock_template(
    resolved: dict[Requirements, list[str]],
    cases: dict[tuple, Requirements],
    dims: dict[str, list[object]],
) -> str:
    headers = {tuple(line for line in lines if line.startswith("#")) for lines in resolved.values()}
    if len(headers) != 1:
        raise SystemExit(f"uv wrote different headers: {headers}")
    pinned = sorted(
        {line for lines in resolved.values() for line in lines if not line.startswith("#")},
        key=lambda line: (line.split("==")[0].lower(), line),
    )
    out = [*headers.pop()]
    current = None
    for line in pinned:
        present = {row for row, requirements in cases.items() if line in resolved[requirements]}
        wanted = condition(present, dims)
        if wanted != current:
            if current is not None:
                out.append("{%- endif %}")
            if wanted is not None:
                out.append(f"{{%- if {wanted} %}}")
            current = wanted
        out.append(line)
    if current is not None:
        out.append("{%- endif %}")
    return "\n".join(out) + "\n"


def main() -> int:
    dims = dependency_options()
    cases: dict[tuple, Requirements] = {}
    pyprojects: dict[Requirements, str] = {}
    for row in itertools.product(*dims.values()):
        pyproject = render_pyproject(answers_for(dict(zip(dims, row, strict=True))))
        requirements = direct_requirements(pyproject)
        cases[row] = requirements
        pyprojects.setdefault(requirements, pyproject)
    print(f"{len(pyprojects)} sets of requirements from {', '.join(dims)}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as work:
        resolved = resolve_all(pyprojects, Path(work))
    LOCK.write_text(lock_template(resolved, cases, dims), encoding="utf-8")
    print(f"wrote {LOCK.relative_to(TEMPLATE)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
