/** Ordering of trials for `listTrials`: by trial number, start time, or a final metric (trials lacking it last). */
import { InvalidArgumentError } from '../../common/failures';
import type { ListTrialsOptions, Trial } from './types';

/** Sorts (a copy of) `trials` as `options` say and keeps the first `limit`. */
export function orderTrials(trials: readonly Trial[], options: ListTrialsOptions = {}): Trial[] {
  const { sortBy = 'trial', order = 'asc', limit } = options;
  if (order !== 'asc' && order !== 'desc')
    throw new InvalidArgumentError('order', `must be asc or desc, got ${JSON.stringify(order)}`);
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0))
    throw new InvalidArgumentError('limit', `must be a non-negative integer, got ${JSON.stringify(limit)}`);
  const sign = order === 'asc' ? 1 : -1;
  const key = sortKey(sortBy);
  const sorted = [...trials].sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    if (x === undefined || y === undefined) {
      if (x !== y) return x === undefined ? 1 : -1; // lacking the key: last, whatever the order
    } else if (x !== y) {
      return (x < y ? -1 : 1) * sign;
    }
    return a.trial - b.trial;
  });
  return limit === undefined ? sorted : sorted.slice(0, limit);
}

function sortKey(sortBy: string): (trial: Trial) => number | string | undefined {
  if (sortBy === 'trial') return (trial) => trial.trial;
  if (sortBy === 'startedAt') return (trial) => trial.startedAt;
  return (trial) => {
    const value = trial.metrics[sortBy];
    return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
  };
}
