"""Layering: data -> features -> model -> evaluation never import MLflow or upper layers."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

LOWER = ["mlflow_nbaprops.data", "mlflow_nbaprops.features", "mlflow_nbaprops.model", "mlflow_nbaprops.evaluation"]


@pytest.mark.parametrize("module", LOWER)
def test_lower_layers_do_not_import_mlflow_or_upper_layers(module):
    code = (
        f"import sys, {module}\n"
        "bad = sorted(m for m in sys.modules if m == 'mlflow' or m.startswith('mlflow.')"
        " or m.startswith('mlflow_nbaprops.cli'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"{module} pulled in: {out}"


def test_package_root_is_import_light():
    """The run-context plugin imports the package root on every `import mlflow`: keep it bare."""
    code = "import sys, mlflow_nbaprops; print(','.join(m for m in ('pandas', 'numpy', 'mlflow') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


#: Each module's layer; a module may import its own layer and the ones below, never above.
LAYERS = {
    "errors": 0, "redact": 0,
    "data": 1, "features": 2, "model": 3, "evaluation": 4, "tracking": 5,
    "flavor": 6, "registry": 6, "context": 6,
    "daily": 7,
    "cli": 8,
}
PACKAGE = Path(__file__).resolve().parents[1] / "mlflow_nbaprops"


def _layer_of(module: str) -> str:
    return module.split(".")[1] if module.count(".") else ""


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mlflow_nbaprops"):
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names if node.module == "mlflow_nbaprops")
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("mlflow_nbaprops"))
    return found


def test_no_module_imports_an_upper_layer():
    """data -> features -> model -> evaluation -> tracking -> flavor/registry/context -> daily -> cli,
    checked on every import statement (lazy ones inside functions included)."""
    violations = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        module = ".".join(rel.parts)
        own = _layer_of(module) if module.count(".") else ""
        if own not in LAYERS:
            continue
        for target in _imports(path):
            other = _layer_of(target)
            if other in LAYERS and other != own and LAYERS[other] >= LAYERS[own] and other != "__init__":
                violations.append(f"{module} imports {target}")
    assert violations == []
