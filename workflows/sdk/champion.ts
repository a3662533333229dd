/**
 * The champion block: the code version of this run and the model's current champion, and whether
 * the champion was trained on the same data, code and training config (then retraining would change
 * nothing: `unchanged`).
 *
 * When the spec carries code packages (`training.codePackage` and `evaluation.codePackage`, set by
 * the CLI), the code version is the package digest: the digest itself when both sections run the
 * same package, else both digests (`codeVersionOfPackages`). No folder is hashed then.
 */
import { patched } from '@temporalio/workflow';
import type { ModelVersionSummary } from '../../activities/registry/types';
import { light, quick } from './activity-options';
import type { PipelineRun } from './run';
import { CODE_PACKAGES_PATCH } from './code';
import type { SnapshotRef } from './types';
import { stableJson } from './util';

export interface Prior {
  /** The content hash of the training and evaluation code (with code packages: their digest). */
  codeVersion: string;
  /** The champion, or null for a model's first version. */
  champion: ModelVersionSummary | null;
  /** The training config as stable JSON (recorded with the version, compared with the champion's). */
  trainingConfig: string;
  /** The champion has this snapshot, code version and training config (and the run is not forced). */
  unchanged: boolean;
}

export interface ChampionOptions {
  /** Folders whose files make the code version. @default the training and evaluation code folders */
  codeDirs?: string[];
}

export async function champion(run: PipelineRun, snap: SnapshotRef, options: ChampionOptions = {}): Promise<Prior> {
  const { spec } = run;
  const trainingPackage = spec.training.codePackage;
  const evaluationPackage = spec.evaluation.codePackage;
  const fromPackages =
    !options.codeDirs &&
    trainingPackage !== undefined &&
    evaluationPackage !== undefined &&
    patched(CODE_PACKAGES_PATCH);
  const dirs = options.codeDirs ?? [...new Set([spec.training.codeDir, spec.evaluation.codeDir])];
  // lean: both are quick reads, run as local activities
  const reads = run.lean ? quick : light;
  const [code, found] = await Promise.all([
    fromPackages
      ? { version: codeVersionOfPackages(trainingPackage, evaluationPackage) }
      : reads.codeVersion.executeWithOptions({ summary: 'hash the training and evaluation code' }, [{ dirs }]),
    reads.findChampion.executeWithOptions({ summary: `find the champion of ${spec.model}` }, [{ model: spec.model }]),
  ]);
  run.status.codeVersion = code.version;
  run.status.champion = found?.version;
  const trainingConfig = stableJson({
    backend: spec.training.backend,
    entrypoint: spec.training.entrypoint,
    params: spec.training.params,
    sweep: spec.training.sweep ?? null,
  });
  const unchanged =
    !!found &&
    !run.input.force &&
    found.trainingSnapshot.id === snap.id &&
    found.codeVersion === code.version &&
    found.tags?.trainingConfig === trainingConfig;
  return { codeVersion: code.version, champion: found ?? null, trainingConfig, unchanged };
}

/**
 * The code version of a run whose jobs run packages: the digest when training and evaluation run
 * the same package, else `<training digest>+<evaluation digest>` (each names its package, and the
 * pair is in order, so a change to either changes the version).
 */
export function codeVersionOfPackages(training: string, evaluation: string): string {
  if (training === evaluation) return training;
  return `${training}+${evaluation}`;
}
