"""Layering: data -> features -> model -> evaluation never import MLflow or upper layers."""

from __future__ import annotations

import subprocess
import sys

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
