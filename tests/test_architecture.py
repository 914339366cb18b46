"""Layering: data -> features -> model -> evaluation never import MLflow or upper layers."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

LOWER = ["mlflow_nbaprops.data", "mlflow_nbaprops.features", "mlflow_nbaprops.model", "mlflow_nbaprops.evaluation",
         "mlflow_nbaprops.feed.season", "mlflow_nbaprops.feed.tonight"]


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
    "errors": 0, "redact": 0, "_exports": 0, "search": 1,
    "data": 1, "feed": 2, "features": 2, "model": 3, "evaluation": 4,
    "flavor": 5, "promotion": 5, "context": 5,
    "tracking": 6,
    "daily": 7, "tuning": 7,
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
    """data -> features -> model -> evaluation -> flavor/promotion/context -> tracking -> daily -> cli,
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


@pytest.mark.parametrize("module,forbidden", [
    # the run-context plugin imports the feature registry on every `import mlflow`
    ("mlflow_nbaprops.features.registry", ("pandas", "numpy", "pyarrow", "mlflow_nbaprops.features.builder")),
    # the CLI reads the backend table at import (`nbaprops --help`)
    ("mlflow_nbaprops.model.backends", ("pandas", "mlflow_nbaprops.model.predictor", "lightgbm", "xgboost")),
    ("mlflow_nbaprops.cli", ("pandas", "mlflow", "lightgbm")),
    # the feed's libraries are an extra: only the commands that fetch import them
    ("mlflow_nbaprops.feed.tonight", ("nba_api", "pdfplumber", "requests", "mlflow")),
    ("mlflow_nbaprops.feed.season", ("nba_api", "pdfplumber", "requests", "mlflow")),
])
def test_light_modules_stay_light_behind_lazy_package_faces(module, forbidden):
    code = f"import sys, {module}\nprint(','.join(m for m in {forbidden!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"{module} pulled in: {out}"


def test_package_faces_export_what_they_list():
    code = ("import importlib\n"
            "for name in ('data', 'feed', 'features', 'model', 'evaluation', 'tracking', 'daily', 'tuning'):\n"
            "    package = importlib.import_module('mlflow_nbaprops.' + name)\n"
            "    for public in package.__all__:\n"
            "        getattr(package, public)\n"
            "    assert set(package.__all__) <= set(dir(package)), name\n"
            "print('ok')")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "ok"


@pytest.mark.slow
def test_figures_leave_the_users_matplotlib_backend_alone():
    """Figures are built as matplotlib Figure objects: importing and drawing them neither switches
    a notebook user's backend nor loads pyplot's global figure manager."""
    code = ("import sys, matplotlib\n"
            "matplotlib.use('svg')\n"
            "import pandas as pd\n"
            "from mlflow_nbaprops.evaluation import plots\n"
            "import mlflow_nbaprops.tracking.standard, mlflow_nbaprops.daily\n"
            "fig = plots.residuals(pd.DataFrame({'PRA': [10.0, 20.0], 'pred_PRA': [12.0, 18.0]}))\n"
            "fig.savefig(sys.argv[1])\n"
            "print(matplotlib.get_backend(), 'matplotlib.pyplot' in sys.modules)")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-c", code, f"{tmp}/fig.png"], capture_output=True, text=True,
                             check=True).stdout.split()
    assert out == ["svg", "False"]
