/**
 * The champion block: the code version of this run and the model's current champion, and whether
 * the champion was trained on the same data, code and training config (then retraining would change
 * nothing: `unchanged`).
 */
import type { ModelVersionSummary } from '../../activities/registry/types';
import { light } from './activity-options';
import type { PipelineRun } from './run';
import type { SnapshotRef } from './types';
import { stableJson } from './util';

export interface Prior {
  /** The content hash of the training and evaluation code. */
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
  const dirs = options.codeDirs ?? [...new Set([spec.training.codeDir, spec.evaluation.codeDir])];
  const [code, found] = await Promise.all([
    light.codeVersion.executeWithOptions({ summary: 'hash the training and evaluation code' }, [{ dirs }]),
    light.findChampion.executeWithOptions({ summary: `find the champion of ${spec.model}` }, [{ model: spec.model }]),
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
