"""Arrows run one way: the onepco package imports no app, and no two apps import each other.

Read from the source (every import statement, at any depth), so that an import hidden in a
function counts as much as one at the top.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "crm", "cohorts", "billing", "dashboard", "console")
# The floors, bottom up: an app may import the ones below it, never one above.
LAYERS = ["accounts", "cohorts", "crm", "billing", "dashboard", "console"]


def imported_apps(package: str) -> dict[str, set[str]]:
    """{module path: the apps it imports}, for every module of a package (migrations aside)."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = (names & set(APPS)) - {package}
    return found


def test_the_onepco_package_imports_no_app():
    offenders = {module: apps for module, apps in imported_apps("onepco").items() if apps}
    assert offenders == {}


@pytest.mark.parametrize("app", APPS)
def test_an_app_imports_only_the_floors_below_it(app):
    below = set(LAYERS[: LAYERS.index(app)])
    offenders = {module: apps - below for module, apps in imported_apps(app).items() if apps - below}
    assert offenders == {}
