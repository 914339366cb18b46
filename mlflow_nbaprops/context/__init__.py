"""The run-context plugin: git, data-version and feature-lineage tags on every MLflow run.

Imported by MLflow while ``import mlflow`` runs (entry point ``mlflow.run_context_provider``):
standard library only at import time.
"""

from mlflow_nbaprops.context.provider import ERROR_TAG, NBAPropsRunContext, context_tags

__all__ = ["ERROR_TAG", "NBAPropsRunContext", "context_tags"]
