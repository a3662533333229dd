/** Where the tracker keeps each object (layout in ./types.ts). Names must be validated first. */
import { trialRootOf } from '../../common/experiment-keys';
import { runKeyOf } from './run-keys';

/** Zero-padded so chunk keys list in sequence order. */
export function seqName(seq: number): string {
  return String(seq).padStart(8, '0');
}

/** Keys of one pipeline's runs and trials. */
export const experimentKeys = {
  runIndexPrefix: (pipeline: string) => `experiments/${pipeline}/_runs/`,
  runIndex: (pipeline: string, run: string) => `experiments/${pipeline}/_runs/${runKeyOf(run)}`,
  run: (pipeline: string, run: string) => `experiments/${pipeline}/${runKeyOf(run)}/run.json`,
  trialIndexPrefix: (pipeline: string, run: string) => `experiments/${pipeline}/${runKeyOf(run)}/trial-index/`,
  trialIndex: (pipeline: string, run: string, trial: number) =>
    `experiments/${pipeline}/${runKeyOf(run)}/trial-index/${trial}`,
  trialRoot: (pipeline: string, run: string, trial: number) => `${trialRootOf(pipeline, runKeyOf(run), trial)}/`,
  trial: (pipeline: string, run: string, trial: number) =>
    `${experimentKeys.trialRoot(pipeline, run, trial)}trial.json`,
  metricsPrefix: (pipeline: string, run: string, trial: number) =>
    `${experimentKeys.trialRoot(pipeline, run, trial)}metrics/`,
  logsPrefix: (pipeline: string, run: string, trial: number) =>
    `${experimentKeys.trialRoot(pipeline, run, trial)}logs/`,
  artifact: (pipeline: string, run: string, trial: number, name: string) =>
    `${experimentKeys.trialRoot(pipeline, run, trial)}artifacts/${name}`,
};
