"""mlflow-nbaprops: an MLflow plugin for NBA player-prop (PRA) modelling.

This module is imported by MLflow's plugin machinery on every ``import mlflow``
(through the run-context provider entry point), so it must stay import-light:
nothing heavy (pandas, numpy, mlflow) is imported here.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
