"""Anchors for bench/drift.bench.ts: PSI + KS per column with NumPy/SciPy, and Evidently's data drift preset.

Usage: .venv/bin/python bench/drift_anchor.py DIR COLUMNS BASELINE_ROWS WINDOW_ROWS REPEAT

Reads DIR/baseline.f64 and DIR/window.f64 (raw little-endian float64, column after column) and
prints one JSON object: the median time per column of each anchor (data loading and imports not
timed) and SciPy's D, p-value and the PSI per column, for the bench to compare its own results with.
"""

import json
import sys
import time

import numpy as np
from scipy import stats

BINS = 10
EPSILON = 1e-4


def psi(baseline, current, bins=BINS, eps=EPSILON):
    """PSI with quantile bins of the baseline (order statistics at ranks floor(i*n/bins)), as ours."""
    n = len(baseline)
    ranks = [min(n - 1, (i * n) // bins) for i in range(1, bins)]
    edges = np.unique(np.partition(baseline, ranks)[ranks])
    pb = np.bincount(np.searchsorted(edges, baseline, side="right"), minlength=len(edges) + 1) / n
    pc = np.bincount(np.searchsorted(edges, current, side="right"), minlength=len(edges) + 1) / len(current)
    pb = np.maximum(pb, eps)
    pc = np.maximum(pc, eps)
    return float(np.sum((pc - pb) * np.log(pc / pb)))


def timed(fn, repeat):
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times))


def main(directory, columns, baseline_rows, window_rows, repeat):
    base = np.fromfile(f"{directory}/baseline.f64", dtype="<f8").reshape(columns, baseline_rows)
    window = np.fromfile(f"{directory}/window.f64", dtype="<f8").reshape(columns, window_rows)
    results = []

    def scipy_all():
        results.clear()
        for k in range(columns):
            ks = stats.ks_2samp(base[k], window[k], method="auto")
            results.append({"d": float(ks.statistic), "p": float(ks.pvalue), "psi": psi(base[k], window[k])})

    scipy_ms = timed(scipy_all, repeat) / columns

    import pandas as pd
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    names = [f"f{k}" for k in range(columns)]
    definition = DataDefinition(numerical_columns=names)
    reference = Dataset.from_pandas(pd.DataFrame(dict(zip(names, base))), data_definition=definition)
    current = Dataset.from_pandas(pd.DataFrame(dict(zip(names, window))), data_definition=definition)

    small = {
        side: Dataset.from_pandas(pd.DataFrame(dict(zip(names, data[:, :1000]))), data_definition=definition)
        for side, data in (("reference", base), ("current", window))
    }

    def evidently(**preset):
        # one-time costs (lazy imports, registries) paid on a small run first; then one timed run
        Report([DataDriftPreset(**preset)]).run(small["current"], small["reference"])
        start = time.perf_counter()
        Report([DataDriftPreset(**preset)]).run(current, reference)
        return (time.perf_counter() - start) * 1000 / columns

    out = {
        "scipy_ms_per_column": scipy_ms,
        "evidently_default_ms_per_column": evidently(),
        "evidently_ks_ms_per_column": evidently(num_method="ks"),
        "results": results,
        "versions": {"numpy": np.__version__, "scipy": __import__("scipy").__version__, "evidently": __import__("evidently").__version__},
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
