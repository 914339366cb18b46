"""Data-version digest vs the naive ``md5(df.to_json())``, side by side on the same frame.

    python benchmarks/bench_data_version.py [PATH ...]   # default: ../shared/data/nba

Prints best-of-N wall times and the speed-up; exits 1 if the digest is not >= 20x faster.
"""

from __future__ import annotations

import argparse
import hashlib
import time
from pathlib import Path

from mlflow_nbaprops.data import content_digest, load_gamelogs

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "nba"


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("paths", nargs="*", default=[str(DEFAULT)])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    start = time.perf_counter()
    logs = load_gamelogs(args.paths)
    load_s = time.perf_counter() - start
    frame = logs.frame
    print(f"data: {logs.version.summary()}")
    print(f"load + validate: {load_s:.2f} s")
    naive = best_of(lambda: hashlib.md5(frame.to_json(date_format="iso").encode()).hexdigest(), args.repeat)
    ours = best_of(lambda: content_digest(frame), args.repeat)
    print(f"naive md5(df.to_json()):  {naive * 1000:8.1f} ms")
    print(f"content_digest (full):    {ours * 1000:8.1f} ms  -> {content_digest(frame)}")
    print(f"speed-up:                 {naive / ours:8.1f}x (target >= 20x)")
    return 0 if naive / ours >= 20 else 1


if __name__ == "__main__":
    raise SystemExit(main())
