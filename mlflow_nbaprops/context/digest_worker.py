"""Background worker: load and validate data files, write their version into the tag cache.

    python -m mlflow_nbaprops.context.digest_worker CACHE_DIR KEY FILE...

Started by the run-context plugin on a cache miss; a failure is cached too (as an error
the tags report), so a bad file is not re-read on every run.
"""

from __future__ import annotations

import sys
from pathlib import Path

from mlflow_nbaprops.context.data import write_cache_entry


def main(argv: list[str]) -> int:
    directory, key, files = Path(argv[0]), argv[1], argv[2:]
    try:
        from mlflow_nbaprops.data import load_gamelogs

        entry = load_gamelogs(files).version.to_dict()
    except Exception as exc:  # cached as the data's error: the tags say what is wrong
        entry = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
    write_cache_entry(directory, key, entry)
    (directory / f"{key}.lock").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
