/**
 * Online A/B tests: ./outcomes.ts joins the gateway's captured requests with feedback labels into
 * per-arm counts; ./activities.ts exposes it to the `abTest` workflow. The statistics are in
 * ../../common/abtest-stats.ts (pure, used by the workflow itself).
 */
export { createAbTestActivities, type AbTestActivities } from './activities';
export {
  countAbTestOutcomes,
  isSuccess,
  type AbTestMetric,
  type AbTestOutcomes,
  type ArmCounts,
  type CountAbTestOutcomesInput,
} from './outcomes';
