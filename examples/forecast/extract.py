#!/usr/bin/env python3
"""Extract step of the forecast example: daily demand per store and item, written as demand.csv.

It stands in for a warehouse query: a seeded generator whose output depends on its params only,
so the same params give the same bytes (and so the same dataset snapshot id). Demand has a trend,
a weekly season, a price effect (elasticity) and a promotion lift, with Poisson noise.

Environment:
  MLOPS_PARAMS      JSON object: seed (7), days (365), stores (3), items (2), start ("2025-01-01")
  MLOPS_OUTPUT_DIR  gets demand.csv (date, store, item, price, promo, units) and metrics.json

Exit codes: 0 done, 2 bad params (message on stderr naming the param), 1 other.
"""

import datetime
import os
import sys

from demand import RAW_COLUMNS, fail, parse_params, require_env, write_json


def _is_date(value):
    try:
        datetime.date.fromisoformat(value)
        return True
    except ValueError:
        return False


PARAM_SPECS = {
    "seed": (7, lambda v: v >= 0, "an integer >= 0"),
    "days": (365, lambda v: 60 <= v <= 3660, "an integer in [60, 3660]"),
    "stores": (3, lambda v: 1 <= v <= 50, "an integer in [1, 50]"),
    "items": (2, lambda v: 1 <= v <= 50, "an integer in [1, 50]"),
    "start": ("2025-01-01", _is_date, "a date YYYY-MM-DD"),
}

# Monday … Sunday: weekends sell more
WEEKLY = [0.9, 0.85, 0.9, 0.95, 1.1, 1.3, 1.2]


def generate(params):
    """The rows of demand.csv as lists of text cells, in date, store, item order."""
    import numpy as np

    rng = np.random.default_rng(params["seed"])
    start = datetime.date.fromisoformat(params["start"])
    series = []
    for s in range(params["stores"]):
        for i in range(params["items"]):
            series.append(
                {
                    "store": f"s{s + 1}",
                    "item": f"i{i + 1}",
                    "level": float(rng.uniform(20, 80)),
                    "trend": float(rng.uniform(-0.0005, 0.0015)),
                    "base_price": float(rng.uniform(2, 12)),
                    "elasticity": float(rng.uniform(0.8, 1.8)),
                    "promo_lift": float(rng.uniform(0.2, 0.6)),
                }
            )
    rows = []
    for day in range(params["days"]):
        date = start + datetime.timedelta(days=day)
        season = WEEKLY[date.weekday()] * (1 + 0.1 * np.sin(2 * np.pi * date.timetuple().tm_yday / 365.25))
        for s in series:
            promo = int(rng.random() < 0.12)
            price = round(s["base_price"] * (0.8 if promo else 1.0) * float(rng.uniform(0.95, 1.05)), 2)
            expected = (
                s["level"]
                * (1 + s["trend"] * day)
                * season
                * (price / s["base_price"]) ** (-s["elasticity"])
                * (1 + s["promo_lift"] * promo)
            )
            units = int(rng.poisson(max(expected, 0.1)))
            rows.append([date.isoformat(), s["store"], s["item"], f"{price:.2f}", str(promo), str(units)])
    return rows


def main():
    params = parse_params(PARAM_SPECS)
    output_dir = require_env("MLOPS_OUTPUT_DIR")
    rows = generate(params)
    os.makedirs(output_dir, exist_ok=True)
    # written by hand, not by pandas: the bytes depend on the params only
    with open(os.path.join(output_dir, "demand.csv"), "w", encoding="utf-8", newline="\n") as f:
        f.write(",".join(RAW_COLUMNS) + "\n")
        for row in rows:
            f.write(",".join(row) + "\n")
    # deterministic too: the output folder is snapshotted as it is
    write_json(
        os.path.join(output_dir, "metrics.json"),
        {"rows": len(rows), "days": params["days"], "series": params["stores"] * params["items"]},
    )
    print(f"extracted {len(rows)} rows: {params['stores']} stores x {params['items']} items x {params['days']} days")
    return 0


if __name__ == "__main__":
    sys.exit(main())
