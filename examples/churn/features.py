"""The churn dataset's schema, shared by generate_data.py, train.py and evaluate.py."""

import os
import sys

# Feature columns, in the order the model takes them (a DataFrame with these names, or an array
# with these columns in this order).
NUMERIC = ["tenure_months", "monthly_charges", "total_charges", "support_calls"]
CATEGORICAL = ["plan", "region", "contract"]
FEATURES = NUMERIC + CATEGORICAL
LABEL = "churned"
ID = "customer_id"
COLUMNS = [ID] + FEATURES + [LABEL]

PLANS = ["basic", "standard", "premium"]
REGIONS = ["north", "south", "east", "west"]
CONTRACTS = ["monthly", "annual"]


def fail(message, code=2):
    """Prints a clear message to stderr and exits (2: bad input, the contract's user error)."""
    print(f"error: {message}", file=sys.stderr, flush=True)
    sys.exit(code)


# The formats a table of the dataset may be in: CSV, or Parquet (read with pyarrow).
TABLE_EXTENSIONS = (".csv", ".parquet")


def is_table(name):
    return name.lower().endswith(TABLE_EXTENSIONS)


def table_path(data_dir, stem):
    """The folder's `stem` table: stem.csv, else stem.parquet; stem.csv (to name it) when neither exists."""
    for extension in TABLE_EXTENSIONS:
        path = os.path.join(data_dir, stem + extension)
        if os.path.isfile(path):
            return path
    return os.path.join(data_dir, stem + TABLE_EXTENSIONS[0])


def read_frame(path):
    """Reads a churn table (CSV or Parquet) and checks its columns; a missing file or column exits with code 2."""
    import pandas as pd

    if not os.path.isfile(path):
        fail(f"data file not found: {path}")
    try:
        frame = pd.read_parquet(path) if path.lower().endswith(".parquet") else pd.read_csv(path)
    except Exception as exc:  # noqa: BLE001 - any parse error is a bad input
        fail(f"could not read {path}: {exc}")
    missing = [c for c in FEATURES + [LABEL] if c not in frame.columns]
    if missing:
        fail(f"{path} lacks column(s): {', '.join(missing)}")
    if len(frame) == 0:
        fail(f"{path} has no rows")
    labels = set(frame[LABEL].unique().tolist())
    if not labels <= {0, 1}:
        fail(f"{path}: column {LABEL} must hold 0/1, found {sorted(map(str, labels))[:5]}")
    return frame
