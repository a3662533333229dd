/**
 * The store prefix of a tracked trial, from its run's key segment (`ExperimentRun.runKey`, made by
 * activities/tracking/run-keys.ts). Shared by the tracker and by workflows that hand a trial's
 * prefix to its training job before the trial record exists (a sweep trial starts both at once).
 */
export function trialRootOf(pipeline: string, runKey: string, trial: number): string {
  return `experiments/${pipeline}/${runKey}/trials/${trial}`;
}
