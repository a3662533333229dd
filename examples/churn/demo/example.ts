/** What the demo runs: the churn example's pipeline and endpoint, its spec and data, and how it drives them. */
import path from 'node:path';
import { REPO_ROOT } from '../../../lib/tools';

/** The pipeline of examples/churn/pipeline.yaml, and the model it trains. */
export const PIPELINE = 'churn';
/** The endpoint the pipeline rolls out to and the monitor watches. */
export const ENDPOINT = 'churn';
export const SPEC = path.join(REPO_ROOT, 'examples', 'churn', 'pipeline.yaml');
/** The dataset folder the spec reads. */
export const DATA = path.join(REPO_ROOT, 'data', 'churn');
/** The customers after the shift (examples/churn/generate_data.py --drift). */
export const DRIFT = 0.8;
export const TRAFFIC_PER_SECOND = 40;
/** How long the monitor may take to judge against a new champion: a few of the example's 10 s windows. */
export const BASELINE_FOLLOWS_MS = 90_000;
