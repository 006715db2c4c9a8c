"""Which app may import which (issue 14): the platform directory sits below evidence and
takedowns (sightings and requests point at a platform), evidence below takedowns (requests
cover sightings), and monitoring above them all (a recheck writes on sightings and, through
takedowns' services, moves requests). An import the other way is a cycle in the making, and
writes to another app's state behind its back: only takedowns writes takedown state."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Lowest first: each app may import those before it, never those after it.
LAYERS = ["platforms", "evidence", "takedowns", "monitoring"]


def imported_apps(app: str) -> dict[str, set[str]]:
    """module path -> the top-level packages it imports (at any depth: lazy imports count)."""
    found = {}
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" in path.parts:
            continue  # historical models by name; they follow the state, not the layers
        names = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize("app", LAYERS)
def test_no_app_imports_one_above_it(app):
    above = set(LAYERS[LAYERS.index(app) + 1 :])
    wrong = {
        module: sorted(names & above)
        for module, names in imported_apps(app).items()
        if names & above
    }
    assert wrong == {}


def test_the_walk_sees_the_imports_it_guards():
    monitoring = set().union(*imported_apps("monitoring").values())
    assert {"evidence", "takedowns"} <= monitoring
