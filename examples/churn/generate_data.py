#!/usr/bin/env python3
"""Deterministic synthetic churn data: writes train.csv and holdout.csv (or .parquet).

    python generate_data.py --rows 5000 --seed 1 --out data/ [--drift 0.0] [--holdout-fraction 0.2]
                            [--format csv|parquet]

The same arguments always give the same bytes (numpy's PCG64 generator seeded with --seed, fixed
number formatting). --format parquet writes the same table as train.parquet and holdout.parquet
(pyarrow, snappy-compressed, no index column): the charges are the CSV's two-decimal values. --drift in [0, 1] moves the customer base (more support calls, higher charges,
more premium plans, more monthly contracts) and changes how churn depends on the features (support
calls matter less, price and the south region more), so a model trained at drift 0 degrades.
"""

import argparse
import os
import sys

import numpy as np

from features import COLUMNS, CONTRACTS, PLANS, REGIONS


def interpolate(a, b, t):
    return a + (b - a) * t


def generate(rows, seed, drift):
    rng = np.random.default_rng(seed)
    d = drift

    plan_p = interpolate(np.array([0.50, 0.35, 0.15]), np.array([0.30, 0.35, 0.35]), d)
    plan = rng.choice(len(PLANS), size=rows, p=plan_p / plan_p.sum())
    region = rng.choice(len(REGIONS), size=rows, p=[0.30, 0.25, 0.25, 0.20])
    monthly_p = interpolate(0.60, 0.75, d)
    contract = (rng.random(rows) >= monthly_p).astype(int)  # 0 monthly, 1 annual

    tenure_scale = np.where(contract == 0, 18.0, 40.0)
    tenure = np.clip(np.rint(rng.exponential(tenure_scale)) + 1, 1, 72).astype(int)
    base_charge = np.array([29.0, 59.0, 94.0])[plan]
    monthly = np.clip(base_charge + rng.normal(0.0, 8.0, rows) + 15.0 * d, 10.0, None)
    total = tenure * monthly * rng.uniform(0.95, 1.05, rows)
    support = rng.poisson(interpolate(1.2, 3.2, d) + 0.4 * (plan == 0), rows)

    # The label: a logistic model of the features plus noise; drift changes its coefficients.
    w_support = interpolate(0.7, 0.15, d)
    w_charge = interpolate(0.03, 0.06, d)
    w_south = interpolate(0.0, 1.5, d)
    w_tenure = interpolate(-0.06, -0.02, d)
    w_monthly = interpolate(1.6, 0.6, d)
    w_plan = interpolate(np.array([0.4, 0.0, -0.3]), np.array([0.0, 0.0, 0.8]), d)
    logit = (
        -1.2
        + w_monthly * (contract == 0)
        + w_tenure * tenure
        + w_charge * (monthly - 60.0)
        + w_support * support
        + w_plan[plan]
        + w_south * (region == 1)
        + rng.normal(0.0, 0.3, rows)
    )
    churned = (rng.random(rows) < 1.0 / (1.0 + np.exp(-logit))).astype(int)

    lines = []
    for i in range(rows):
        lines.append(
            f"C{i + 1:07d},{tenure[i]},{monthly[i]:.2f},{total[i]:.2f},{support[i]},"
            f"{PLANS[plan[i]]},{REGIONS[region[i]]},{CONTRACTS[contract[i]]},{churned[i]}\n"
        )
    holdout_order = rng.permutation(rows)
    return lines, holdout_order


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, required=True, help="number of rows in all (train + holdout)")
    parser.add_argument("--seed", type=int, required=True, help="random seed")
    parser.add_argument("--drift", type=float, default=0.0, help="0 (none) to 1 (strong)")
    parser.add_argument("--out", required=True, help="output folder (created if absent)")
    parser.add_argument("--holdout-fraction", type=float, default=0.2, help="share of rows in the holdout")
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv", help="file format (default csv)")
    args = parser.parse_args(argv)
    if args.rows < 10:
        parser.error("--rows must be at least 10")
    if not 0.0 <= args.drift <= 1.0:
        parser.error("--drift must be in [0, 1]")
    if not 0.0 < args.holdout_fraction < 1.0:
        parser.error("--holdout-fraction must be in (0, 1)")
    if args.seed < 0:
        parser.error("--seed must be >= 0")

    lines, order = generate(args.rows, args.seed, args.drift)
    n_holdout = max(1, min(args.rows - 1, int(round(args.rows * args.holdout_fraction))))
    is_holdout = np.zeros(args.rows, dtype=bool)
    is_holdout[order[:n_holdout]] = True

    os.makedirs(args.out, exist_ok=True)
    header = ",".join(COLUMNS) + "\n"
    names = [f"train.{args.format}", f"holdout.{args.format}"]
    for name, mask in zip(names, (~is_holdout, is_holdout)):
        path = os.path.join(args.out, name)
        kept = [line for line, keep in zip(lines, mask) if keep]
        if args.format == "parquet":
            write_parquet(path, kept)
        else:
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(header)
                f.writelines(kept)
    print(f"wrote {args.rows - n_holdout} rows to {names[0]} and {n_holdout} to {names[1]} in {args.out}")
    return 0


def write_parquet(path, lines):
    """Writes CSV lines (no header) as a Parquet table with the CSV's values and column types."""
    import pandas as pd

    rows = [line.rstrip("\n").split(",") for line in lines]
    columns = {name: [row[i] for row in rows] for i, name in enumerate(COLUMNS)}
    integer = {"tenure_months", "support_calls", "churned"}
    decimal = {"monthly_charges", "total_charges"}
    frame = pd.DataFrame(
        {
            name: (
                pd.array([int(v) for v in values], dtype="int64")
                if name in integer
                else pd.array([float(v) for v in values], dtype="float64")
                if name in decimal
                else pd.array(values, dtype=object)
            )
            for name, values in columns.items()
        }
    )
    frame.to_parquet(path, engine="pyarrow", compression="snappy", index=False)


if __name__ == "__main__":
    sys.exit(main())
