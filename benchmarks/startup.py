"""Start-up: the wall time of `clusterlab` commands in fresh processes, as a user meets them.

- `clusterlab algorithms` (imports and the registry listing);
- `clusterlab auto T.csv` on a generated table of 200 rows x 7 numeric columns (3 Gaussian
  clusters), report included, and with `--no-report`;
each run N times in a new process (default 5); the table gives the median, min and max, and
for `auto` the job's own seconds as its summary.json records them.

Usage: python benchmarks/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, header, markdown_table  # noqa: E402

GOALS = {"algorithms": 0.5, "auto": 4.0}


def _command() -> list[str]:
    exe = Path(sys.executable).with_name("clusterlab")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "clusterlab.cli"]


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(_command() + args, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"clusterlab {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from sklearn.datasets import make_blobs

    work = Path(tempfile.mkdtemp(prefix="clusterlab-startup-"))
    try:
        x, _ = make_blobs(200, 7, centers=3, random_state=0)
        table = work / "t200.csv"
        pd.DataFrame(x, columns=[f"c{j}" for j in range(7)]).to_csv(table, index=False)
        timed(["algorithms"])  # one untimed run: the first read of the installed files from disk
        rows = []
        cases = [("clusterlab algorithms", ["algorithms"], GOALS["algorithms"]),
                 ("clusterlab auto (200 x 7 table)", ["auto", str(table), "-o", str(work / "out")], GOALS["auto"]),
                 ("clusterlab auto --no-report (200 x 7)", ["auto", str(table), "-o", str(work / "nr"), "--no-report"],
                  float("nan"))]
        for name, argv, goal in cases:
            walls, job = [], []
            for _ in range(args.runs):
                walls.append(timed(argv))
                if argv[0] == "auto":
                    job.append(json.loads((Path(argv[3]) / "summary.json").read_text())["seconds"])
            rows.append({"command": name, "median s": float(np.median(walls)), "min s": min(walls),
                         "max s": max(walls), "job's own s (median)": float(np.median(job)) if job else float("nan"),
                         "goal s": goal})
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = header("Start-up: wall time of commands in fresh processes", "startup.py")
    lines += [f"Each command ran {args.runs} times in a new process after one untimed run. The job's own seconds "
              "are what summary.json records (loading, recommending, k, fitting, runners-up, profiles); the rest "
              "is interpreter start, imports, the report and printing.", "",
              markdown_table(pd.DataFrame(rows), ".2f"), ""]
    (RESULTS / "startup.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
