"""Reference results for the drift statistics (activities/monitoring), from NumPy and SciPy.

Usage: .venv/bin/python scripts/drift_fixtures.py OUT.json

Writes seeded samples of several shapes (tiny, small enough for the exact KS p-value, large enough
for the asymptotic one, ties, constants, categorical) and what SciPy computes on them, plus a grid
of the distribution functions behind the p-values, and the one-sided Smirnov tail at 10⁴ to 10⁶
rows (the slow part: about 15 s of SciPy’s time). test/monitoring/drift-stats.test.ts runs this
on every test run and compares the TypeScript results with it.
"""

import json
import sys
from collections import Counter

import numpy as np
import scipy
from scipy import special, stats
from scipy.spatial.distance import jensenshannon

BINS = 10
EPSILON = 1e-4


def psi_reference(baseline, current, bins=BINS, eps=EPSILON):
    """PSI with quantile bins of the baseline, as documented in activities/monitoring/psi.ts."""
    e = np.sort(baseline)
    n = len(e)
    edges = []
    for i in range(1, bins):
        q = e[min(n - 1, (i * n) // bins)]
        if not edges or q > edges[-1]:
            edges.append(q)
    edges = np.asarray(edges)
    pb = np.bincount(np.searchsorted(edges, baseline, side="right"), minlength=len(edges) + 1) / len(baseline)
    pc = np.bincount(np.searchsorted(edges, current, side="right"), minlength=len(edges) + 1) / len(current)
    return psi_from_shares(pb, pc, eps)


def psi_from_shares(pb, pc, eps=EPSILON):
    pb = np.maximum(pb, eps)
    pc = np.maximum(pc, eps)
    return float(np.sum((pc - pb) * np.log(pc / pb)))


def numeric_case(name, baseline, current, precise=False):
    ks = stats.ks_2samp(baseline, current, method="auto")
    edges = np.histogram_bin_edges(np.concatenate([baseline, current]), bins=BINS)
    hb, _ = np.histogram(baseline, bins=edges)
    hc, _ = np.histogram(current, bins=edges)
    return {
        "name": name,
        "kind": "numeric",
        "baseline": baseline.tolist(),
        "current": current.tolist(),
        "ks_statistic": float(ks.statistic),
        "ks_pvalue": float(ks.pvalue),
        "psi": psi_reference(baseline, current),
        "js_distance": float(jensenshannon(hb, hc, base=2)),
        "wasserstein": float(stats.wasserstein_distance(baseline, current)),
        # the p-value goes through the one-sided Smirnov tail: checked to 1e-12 relative
        "precise": precise,
    }


def categorical_case(name, baseline, current):
    cats = list(dict.fromkeys(baseline.tolist() + current.tolist()))
    nb, nc = Counter(baseline.tolist()), Counter(current.tolist())
    cb = np.array([nb[c] for c in cats], dtype=float)
    cc = np.array([nc[c] for c in cats], dtype=float)
    res = stats.chi2_contingency(np.vstack([cb, cc]))
    return {
        "name": name,
        "kind": "categorical",
        "baseline": baseline.tolist(),
        "current": current.tolist(),
        "chi2_statistic": float(res.statistic),
        "chi2_pvalue": float(res.pvalue),
        "chi2_dof": int(res.dof),
        "psi": psi_from_shares(cb / cb.sum(), cc / cc.sum()),
        "js_distance": float(jensenshannon(cb, cc, base=2)),
    }


def main(out):
    rng = np.random.default_rng(20261127)
    norm = rng.standard_normal
    cases = [
        numeric_case("one value each", np.array([0.3]), np.array([0.7])),
        numeric_case("tiny 3 vs 2", norm(3), norm(2) + 0.5),
        numeric_case("tiny equal sizes 5", norm(5), norm(5)),
        numeric_case("constant, same value", np.full(20, 2.5), np.full(15, 2.5)),
        numeric_case("constant, different values", np.full(20, 2.5), np.full(15, 3.0)),
        numeric_case("exact 50 vs 60 shifted", norm(50), norm(60) + 0.4),
        numeric_case("exact equal sizes 100", norm(100), norm(100) + 0.2),
        numeric_case("exact 200 vs 150 same", norm(200), norm(150)),
        numeric_case("exact 1000 vs 800 far", norm(1000), norm(800) + 1.0),
        numeric_case("exact 10000 vs 3000 (largest exact)", norm(10000), norm(3000) + 0.05),
        numeric_case("asymptotic 12000 vs 11000 same", norm(12000), norm(11000)),
        numeric_case("asymptotic 12000 vs 11000 shifted", norm(12000), norm(11000) + 0.05),
        numeric_case("asymptotic 12000 vs 11000 far", norm(12000), norm(11000) + 0.5),
        numeric_case("asymptotic lognormal vs scaled", np.exp(norm(15000)), 1.02 * np.exp(norm(9000))),
        numeric_case("ties, small integers", rng.integers(0, 5, 50).astype(float), rng.integers(0, 6, 70).astype(float)),
        numeric_case("ties, asymptotic", rng.integers(0, 8, 15000).astype(float), rng.integers(0, 8, 12000).astype(float)),
    ]
    # large baseline against a small window: the asymptotic p-value with a small effective n
    for size in (30, 200):
        for shift in (0.0, 0.1, 0.3, 0.8, 2.0):
            cases.append(numeric_case(f"asymptotic 12000 vs {size}, shift {shift}", norm(12000), norm(size) + shift))
    # a window that is a thinned copy of the baseline: very small D
    base = norm(12000)
    cases.append(numeric_case("asymptotic 12000 vs its own 200 quantiles", base, np.quantile(base, np.linspace(0.0025, 0.9975, 200))))
    # 100,000 rows a side, drifted enough that the p-value is twice the one-sided tail (n·D² ≥ 2.2)
    cases.append(numeric_case("asymptotic 100000 vs 100000 shifted", norm(100_000), norm(100_000) + 0.025, precise=True))

    letters = np.array(list("abcdefghijklmnopqrstuvwxyz0123"))
    cases += [
        categorical_case("two categories (Yates)", rng.choice(letters[:2], 300, p=[0.6, 0.4]), rng.choice(letters[:2], 200, p=[0.5, 0.5])),
        categorical_case("five categories, same", rng.choice(letters[:5], 1000), rng.choice(letters[:5], 800)),
        categorical_case(
            "five categories, shifted",
            rng.choice(letters[:5], 1000, p=[0.3, 0.3, 0.2, 0.1, 0.1]),
            rng.choice(letters[:5], 800, p=[0.1, 0.2, 0.2, 0.2, 0.3]),
        ),
        categorical_case("a category new in the window", rng.choice(letters[:3], 500), rng.choice(letters[:4], 400)),
        categorical_case("thirty categories", rng.choice(letters, 20000), rng.choice(letters, 5000, p=np.linspace(1, 2, 30) / np.linspace(1, 2, 30).sum())),
        categorical_case("one category", np.array(["x"] * 10), np.array(["x"] * 7)),
    ]

    # the distribution functions on their own, over the regions where the algorithms change
    kstwo = []
    grid = [(n, x) for n in (1, 2, 5, 30, 100, 140, 141, 500, 5000, 20000) for x in (0.001, 0.004, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.45, 0.5, 0.7, 0.95)]
    # large n (a 1,000,000-row baseline against a 100,000-row window has n = 90909)
    grid += [(90909, 0.003), (90909, 0.008), (90909, 0.05), (150000, 0.001), (150000, 0.002)]
    # the far tail, where SciPy's p-value is subnormal (below 2.2e-308) rather than 0
    grid += [(90909, 0.0625), (90909, 0.063)]
    for n, x in grid:
        kstwo.append({"n": n, "x": x, "sf": float(stats.kstwo.sf(x, n))})
    # the one-sided tail itself at the sizes a 1,000,000-row baseline gives, where every term of the
    # sum matters, at x where the tail is about 0.5, 1e-3, 1e-10 and 1e-100 (x = sqrt(-ln p / 2n),
    # rounded), plus (10⁶, 0.001); SciPy takes about 2 s for each at n = 10⁶
    smirnov = []
    for n in (10_000, 100_000, 300_000, 1_000_000):
        for tail in (0.5, 1e-3, 1e-10, 1e-100):
            x = float(f"{np.sqrt(-np.log(tail) / (2 * n)):.4g}")
            smirnov.append({"n": n, "x": x, "sf": float(special.smirnov(n, x))})
    smirnov.append({"n": 1_000_000, "x": 0.001, "sf": float(special.smirnov(1_000_000, 0.001))})
    # the two-sided tail where it is twice the one-sided one (n·x² ≥ 2.2), at the same sizes
    kstwo_large = []
    for n, x in ((10_000, 0.02), (100_000, 0.006), (300_000, 0.004), (1_000_000, 0.0015)):
        kstwo_large.append({"n": n, "x": x, "sf": float(stats.kstwo.sf(x, n))})
    chi2 = []
    for dof in (1, 2, 3, 4, 7, 10, 29, 100, 1000):
        for x in (0.01, 0.5, 1.0, 3.0, 10.0, 30.0, 100.0, 400.0, 1500.0):
            chi2.append({"dof": dof, "x": x, "sf": float(stats.chi2.sf(x, dof))})

    with open(out, "w") as f:
        json.dump({"scipy": scipy.__version__, "numpy": np.__version__, "cases": cases, "kstwo": kstwo, "kstwo_large": kstwo_large, "smirnov": smirnov, "chi2": chi2}, f)


if __name__ == "__main__":
    main(sys.argv[1])
