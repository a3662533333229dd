/** Where reports live in the store (docs/architecture.md, "Store layout": `reports/…`). */
import { runKeyOf } from '../tracking/run-keys';

export const reportKeys = {
  /** The HTML report of a sweep run; `run` is the run id (its workflow id). */
  sweep: (run: string) => `reports/sweeps/${runKeyOf(run)}.html`,
  /** The HTML evaluation report of a pipeline run (candidate vs champion); `run` is the run id. */
  evaluation: (run: string) => `reports/evaluations/${runKeyOf(run)}.html`,
};
