/**
 * The gateway's endpoints, kept in memory and persisted to `<home>/gateway/state.json` on every
 * change (write to a temporary file, then rename, so a crash leaves the old or the new file,
 * never half of one). Reloaded on start, so a restart keeps variants, weights and faults.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../common/errors';
import type { CaptureSettings, EndpointState, Fault, VariantSpec } from '../common/schemas/gateway-api';
import { newFeedbackToken } from './credentials';

interface StateFile {
  version: 1;
  endpoints: EndpointState[];
  /** Endpoint → feedback token (absent in files written before tokens existed: created on load). */
  feedbackTokens?: Record<string, string>;
}

/** A change refused because the endpoint moved on since the caller read it. */
export type ChangeResult = { ok: true; endpoint: EndpointState } | { ok: false; status: 404 | 409; error: string };

export class GatewayState {
  private readonly endpoints = new Map<string, EndpointState>();
  private readonly feedbackTokens = new Map<string, string>();

  private constructor(readonly file: string) {}

  /** Loads the state file (absent: no endpoints); a corrupt file is an error, not silently emptied. */
  static load(file: string): GatewayState {
    const state = new GatewayState(file);
    let text: string | undefined;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text !== undefined) {
      let parsed: StateFile;
      try {
        parsed = JSON.parse(text) as StateFile;
      } catch (err) {
        throw new UserError(`${file}: not valid JSON (${(err as Error).message}); fix or remove it`, 1);
      }
      if (!Array.isArray(parsed?.endpoints)) throw new UserError(`${file}: has no endpoints list; fix or remove it`, 1);
      for (const e of parsed.endpoints) state.endpoints.set(e.name, e);
      const tokens = parsed.feedbackTokens ?? {};
      let created = false;
      for (const e of parsed.endpoints) {
        const token = Object.hasOwn(tokens, e.name) ? tokens[e.name] : undefined;
        if (typeof token === 'string' && token.length >= 32) state.feedbackTokens.set(e.name, token);
        else {
          state.feedbackTokens.set(e.name, newFeedbackToken());
          created = true;
        }
      }
      if (created) state.save();
    }
    return state;
  }

  list(): EndpointState[] {
    return [...this.endpoints.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): EndpointState | undefined {
    return this.endpoints.get(name);
  }

  /** The endpoint's feedback token; `undefined` when there is no such endpoint. */
  feedbackToken(name: string): string | undefined {
    return this.endpoints.has(name) ? this.feedbackTokens.get(name) : undefined;
  }

  /** Every endpoint's feedback token (for redacting logs). */
  allFeedbackTokens(): string[] {
    return [...this.feedbackTokens.values()];
  }

  /** Replaces the endpoint's feedback token with a new one (the old one stops working at once). */
  rotateFeedbackToken(name: string): string | undefined {
    if (!this.endpoints.has(name)) return undefined;
    const previous = this.feedbackTokens.get(name);
    const token = newFeedbackToken();
    this.feedbackTokens.set(name, token);
    try {
      this.save();
    } catch (err) {
      if (previous) this.feedbackTokens.set(name, previous);
      throw err;
    }
    return token;
  }

  /** Creates or replaces an endpoint's variants, weights and capture settings. */
  put(
    name: string,
    change: { variants: VariantSpec[]; weights: Record<string, number>; capture: CaptureSettings },
    expectedRevision?: number,
  ): ChangeResult {
    const current = this.endpoints.get(name);
    const conflict = checkRevision(name, current, expectedRevision);
    if (conflict) return conflict;
    const names = change.variants.map((v) => v.name);
    const faults = Object.fromEntries(Object.entries(current?.faults ?? {}).filter(([v]) => names.includes(v)));
    return this.commit({
      name,
      revision: (current?.revision ?? 0) + 1,
      variants: change.variants,
      weights: change.weights,
      capture: change.capture,
      faults,
      updatedAt: new Date().toISOString(),
    });
  }

  /** Changes only the weights of an existing endpoint. */
  setWeights(name: string, weights: Record<string, number>, expectedRevision?: number): ChangeResult {
    const current = this.endpoints.get(name);
    if (!current) return notFound(name);
    const conflict = checkRevision(name, current, expectedRevision);
    if (conflict) return conflict;
    return this.commit({ ...current, weights, revision: current.revision + 1, updatedAt: new Date().toISOString() });
  }

  /** Sets (or with `{}` clears) a variant's injected fault; the revision stays, it is not a routing change. */
  setFault(name: string, variant: string, fault: Fault): ChangeResult {
    const current = this.endpoints.get(name);
    if (!current) return notFound(name);
    if (!current.variants.some((v) => v.name === variant)) {
      return { ok: false, status: 404, error: `endpoint ${name} has no variant ${JSON.stringify(variant)}` };
    }
    const faults = { ...current.faults };
    if (Object.keys(fault).length === 0) delete faults[variant];
    else faults[variant] = fault;
    return this.commit({ ...current, faults });
  }

  /** Removes an endpoint; `false` when there was none. */
  delete(name: string): boolean {
    if (!this.endpoints.has(name)) return false;
    this.endpoints.delete(name);
    this.feedbackTokens.delete(name);
    this.save();
    return true;
  }

  private commit(endpoint: EndpointState): ChangeResult {
    const previous = this.endpoints.get(endpoint.name);
    this.endpoints.set(endpoint.name, endpoint);
    const newToken = !this.feedbackTokens.has(endpoint.name);
    if (newToken) this.feedbackTokens.set(endpoint.name, newFeedbackToken());
    try {
      this.save();
    } catch (err) {
      // keep memory and disk in agreement: a change that could not be persisted did not happen
      if (previous) this.endpoints.set(endpoint.name, previous);
      else this.endpoints.delete(endpoint.name);
      if (newToken) this.feedbackTokens.delete(endpoint.name);
      throw err;
    }
    return { ok: true, endpoint };
  }

  private save(): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const feedbackTokens = Object.fromEntries([...this.feedbackTokens].sort(([a], [b]) => a.localeCompare(b)));
    const data: StateFile = { version: 1, endpoints: this.list(), feedbackTokens };
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, JSON.stringify(data, null, 2) + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
  }
}

function checkRevision(
  name: string,
  current: EndpointState | undefined,
  expected: number | undefined,
): ChangeResult | undefined {
  if (expected === undefined) return undefined;
  const actual = current?.revision ?? 0;
  if (actual === expected) return undefined;
  return {
    ok: false,
    status: 409,
    error: `expectedRevision: endpoint ${name} is at revision ${actual}, not ${expected}; read it again and retry`,
  };
}

function notFound(name: string): ChangeResult {
  return { ok: false, status: 404, error: `endpoint ${JSON.stringify(name)} not found` };
}
