/**
 * Fake of the model registry's activities a rollout calls (`findChampion`, `setModelAlias`,
 * `setModelStatus`; the real ones are activities/registry/activities.ts over a store): in memory,
 * recording each status change. It stands in for the registry so that a workflow test asserts what
 * a rollout asked of it, in order, without a store to read back.
 */
import type { SetModelAliasInput, SetModelStatusInput } from '../../activities/registry/activities';

/** A registry of one model that records status and alias changes; `champion` null: none yet. */
export class FakeRegistry {
  /** Every [version, status] set, in order. */
  readonly statuses: [number, string][] = [];

  constructor(
    private readonly model: string,
    public champion: number | null,
  ) {}

  /** The activities, to spread into a worker's. */
  activities() {
    return {
      findChampion: () =>
        Promise.resolve(this.champion === null ? null : { model: this.model, version: this.champion }),
      setModelAlias: (input: SetModelAliasInput) => {
        this.champion = Number(input.version);
        return Promise.resolve({ changed: true, alias: input.alias, current: this.champion });
      },
      setModelStatus: (input: SetModelStatusInput) => {
        this.statuses.push([input.version, input.status]);
        return Promise.resolve({ changed: true, status: input.status });
      },
    };
  }
}
