"""The folders are layers and their imports point one way only:

    core ← knowledge ← safety ← messaging ← channels ← handoff ← inbox ← broadcasts ← gateway ← ops

A package may import its own modules and those of the layers to its left, never one to its right. The
action server (`actions/`, Python 3.10 beside Rasa) imports only `core` and `knowledge`; the code the Rasa
server loads (`rasa_server/`, its tracker store) imports none of ours. The test reads every import statement,
also those inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

LAYERS = (
    "core",
    "knowledge",
    "safety",
    "messaging",
    "channels",
    "handoff",
    "inbox",
    "broadcasts",
    "gateway",
    "ops",
)
ACTIONS_MAY_IMPORT = {"core", "knowledge", "actions"}
PROJECT = {*LAYERS, "actions", "rasa_server", "tests", "bench"}


def imported_packages(path: Path) -> set[str]:
    """The project's top-level packages a module imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & PROJECT


@pytest.mark.parametrize("package", LAYERS)
def test_each_layer_imports_only_the_layers_below_it(package: str) -> None:
    allowed = set(LAYERS[: LAYERS.index(package) + 1])
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) - allowed)
        for path in sorted((ROOT / package).rglob("*.py"))
        if imported_packages(path) - allowed
    }
    assert wrong == {}, f"{package} may import only {sorted(allowed)}"


def test_the_action_server_imports_only_core_and_knowledge() -> None:
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) - ACTIONS_MAY_IMPORT)
        for path in sorted((ROOT / "actions").rglob("*.py"))
        if imported_packages(path) - ACTIONS_MAY_IMPORT
    }
    assert wrong == {}


def test_the_code_the_rasa_server_loads_imports_none_of_ours() -> None:
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) - {"rasa_server"})
        for path in sorted((ROOT / "rasa_server").rglob("*.py"))
        if imported_packages(path) - {"rasa_server"}
    }
    assert wrong == {}


def test_the_check_sees_a_wrong_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("def f():\n    from gateway.app import create_app\n    import inbox.routes\n")
    assert imported_packages(module) == {"gateway", "inbox"}
