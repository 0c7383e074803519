"""`estimate_k` with k up to 40 on 2,048-row samples, the size the job's k step reads: Gaussian
clusters and structureless noise, 16 and 128 columns (wider samples are projected onto 50
principal components first). One run each in this process; the table gives the total and the
three slowest estimators.

Usage: python benchmarks/autok_speed.py
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, header, markdown_table  # noqa: E402

GOAL = 10.0


def main() -> None:
    from clusterlab.autok import estimate_k

    warnings.simplefilter("ignore")
    rng = np.random.default_rng(0)
    rows = []
    for d in (16, 128):
        centres = rng.normal(0, 4, (12, d))
        truth = rng.integers(0, 12, 2048)
        for what, x in (("12 Gaussian clusters", centres[truth] + rng.normal(size=(2048, d))),
                        ("noise", rng.normal(size=(2048, d)))):
            start = time.perf_counter()
            result = estimate_k(x, min_k=2, max_k=40, seed=0)
            seconds = time.perf_counter() - start
            slowest = sorted(result.estimates, key=lambda e: -e.seconds)[:3]
            rows.append({"data": f"2,048 x {d}, {what}", "consensus k": result.k, "seconds": seconds, "goal s": GOAL,
                         "slowest": ", ".join(f"{e.method} {e.seconds:.1f} s" for e in slowest)})
            print(rows[-1], flush=True)
    lines = header("estimate_k with k up to 40", "autok_speed.py")
    lines += ["All twelve estimators and their consensus, k = 2..40, one run each.", "",
              markdown_table(pd.DataFrame(rows), ".1f"), ""]
    (RESULTS / "autok-speed.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
