/**
 * The gateway's endpoints (variants, weights, revisions, capture settings, faults, feedback
 * tokens): one JSON object in the store (`gateway/state.json`), shared by every replica.
 *
 * - Every change is a compare-and-swap of that object on the etag this replica last read; a
 *   lost race reads the object again and re-applies the change to what it finds, so a change
 *   that names an `expectedRevision` the endpoint has moved past is refused (409), and any other
 *   change lands on top of the other replica's.
 * - Every replica follows the object (`follow`): a cheap `head` every 250 ms, the body only when
 *   the etag moved, so a change made through one replica routes on all of them within a second.
 * - A replica that cannot reach the store keeps serving what it read last and says so
 *   (`sync()`: `/v2/health/ready` and `/metrics`).
 * - A gateway started where the object is absent and an older `<home>/gateway/state.json` exists
 *   imports that file once (created only if still absent), then renames it to `state.json.imported`.
 */
import fs from 'node:fs';
import { UserError } from '../common/errors';
import type { CaptureSettings, Checked, EndpointState, Fault, VariantSpec } from '../common/schemas/gateway-api';
import { jsonBody, readVersioned } from '../activities/storage/json';
import type { BlobStore } from '../activities/storage/types';
import { newFeedbackToken } from './credentials';

/** The store key of the gateway's endpoints. */
export const STATE_KEY = 'gateway/state.json';
/** How often a replica looks at the state object's etag. */
export const FOLLOW_INTERVAL_MS = 250;
/** How long a look at the store may take before the replica reports its endpoints stale. */
const POLL_TIMEOUT_MS = 5_000;
/** Lost compare-and-swap races a change survives before it is answered 503. */
const MAX_ATTEMPTS = 50;

interface StateDocument {
  version: 1;
  endpoints: EndpointState[];
  /** Endpoint → feedback token (absent in files written before tokens existed: created on load). */
  feedbackTokens?: Record<string, string>;
}

/** A change refused because the endpoint moved on since the caller read it. */
export type ChangeResult = { ok: true; endpoint: EndpointState } | { ok: false; status: 404 | 409; error: string };

/** Whether this replica's copy is current: the last read of the store and its outcome. */
export interface SyncStatus {
  /** The last look at the store succeeded. */
  ok: boolean;
  /** When the store was last read successfully (ms since the epoch). */
  lastSyncAt: number;
  /** Why the last look failed (the store's words, no body). */
  error?: string;
}

export interface GatewayStateOptions {
  store: BlobStore;
  /** An older gateway's state file, imported once into an empty store. */
  legacyFile?: string;
  /** Called with the endpoints before and after a change read from the store (another replica's). */
  onReplaced?: (before: EndpointState[], after: EndpointState[]) => void;
  log?: (line: string) => void;
}

/** What a change does to the document: an endpoint to write, a deletion, or a refusal. */
/** Weights to set, and the revision they were chosen at. */
export interface WeightsChange {
  weights: Record<string, number>;
  expectedRevision?: number;
}

export type Refusal = { ok: false; status: 400 | 404 | 409; error: string };
type Edit =
  | { kind: 'set'; endpoint: EndpointState; rotateToken?: boolean }
  | { kind: 'delete'; name: string }
  | { kind: 'refuse'; result: Refusal };

class Snapshot {
  readonly endpoints = new Map<string, EndpointState>();
  readonly feedbackTokens = new Map<string, string>();

  static of(doc: StateDocument | undefined): Snapshot {
    const s = new Snapshot();
    for (const e of doc?.endpoints ?? []) s.endpoints.set(e.name, e);
    const tokens = doc?.feedbackTokens ?? {};
    for (const e of doc?.endpoints ?? []) {
      const token = Object.hasOwn(tokens, e.name) ? tokens[e.name] : undefined;
      if (typeof token === 'string' && token.length >= 32) s.feedbackTokens.set(e.name, token);
    }
    return s;
  }

  list(): EndpointState[] {
    return [...this.endpoints.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  document(): StateDocument {
    const feedbackTokens = Object.fromEntries([...this.feedbackTokens].sort(([a], [b]) => a.localeCompare(b)));
    return { version: 1, endpoints: this.list(), feedbackTokens };
  }
}

export class GatewayState {
  private current = new Snapshot();
  private etag: string | null = null;
  private status: SyncStatus = { ok: true, lastSyncAt: 0 };
  private timer: NodeJS.Timeout | undefined;
  private following = false;
  /** The store read under way, while it takes longer than a poll. */
  private reading: Promise<void> | undefined;
  /** Serializes this replica's changes and reads (one compare-and-swap at a time). */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly opts: GatewayStateOptions) {}

  /** Reads the state from the store (importing a legacy state file into an empty store first). */
  static async open(opts: GatewayStateOptions): Promise<GatewayState> {
    const state = new GatewayState(opts);
    let read = await readDocument(opts.store);
    if (read.etag === null && opts.legacyFile) {
      const legacy = readLegacyFile(opts.legacyFile);
      if (legacy) {
        const created = await opts.store.compareAndSwap(STATE_KEY, null, jsonBody(legacy), {
          contentType: 'application/json',
        });
        fs.renameSync(opts.legacyFile, `${opts.legacyFile}.imported`);
        opts.log?.(
          created.swapped
            ? `imported ${legacy.endpoints.length} endpoint(s) from ${opts.legacyFile} into the store`
            : `${opts.legacyFile}: not imported, another gateway wrote the store's state first`,
        );
        read = await readDocument(opts.store);
      }
    }
    state.replace(read.etag, read.doc, false);
    state.status = { ok: true, lastSyncAt: Date.now() };
    // endpoints without a feedback token (older documents) get one
    if (state.list().some((e) => !state.current.feedbackTokens.has(e.name))) {
      await state.change<ChangeResult>(() => undefined);
    }
    return state;
  }

  list(): EndpointState[] {
    return this.current.list();
  }

  get(name: string): EndpointState | undefined {
    return this.current.endpoints.get(name);
  }

  /** The endpoint's feedback token; `undefined` when there is no such endpoint. */
  feedbackToken(name: string): string | undefined {
    return this.current.endpoints.has(name) ? this.current.feedbackTokens.get(name) : undefined;
  }

  /** Every endpoint's feedback token (for redacting logs). */
  allFeedbackTokens(): string[] {
    return [...this.current.feedbackTokens.values()];
  }

  /** Whether this replica's copy is current. */
  sync(): SyncStatus {
    return { ...this.status };
  }

  /** Replaces the endpoint's feedback token with a new one (the old one stops working at once). */
  async rotateFeedbackToken(name: string): Promise<string | undefined> {
    const result = await this.change<ChangeResult>((s) => {
      const endpoint = s.endpoints.get(name);
      return endpoint ? { kind: 'set', endpoint, rotateToken: true } : { kind: 'refuse', result: notFound(name) };
    });
    return result.ok ? this.current.feedbackTokens.get(name) : undefined;
  }

  /** Creates or replaces an endpoint's variants, weights and capture settings. */
  put(
    name: string,
    change: { variants: VariantSpec[]; weights: Record<string, number>; capture: CaptureSettings },
    expectedRevision?: number,
  ): Promise<ChangeResult> {
    return this.change((s) => {
      const current = s.endpoints.get(name);
      const conflict = checkRevision(name, current, expectedRevision);
      if (conflict) return { kind: 'refuse', result: conflict };
      const names = change.variants.map((v) => v.name);
      const faults = Object.fromEntries(Object.entries(current?.faults ?? {}).filter(([v]) => names.includes(v)));
      return {
        kind: 'set',
        endpoint: {
          name,
          revision: (current?.revision ?? 0) + 1,
          variants: change.variants,
          weights: change.weights,
          capture: change.capture,
          faults,
          updatedAt: new Date().toISOString(),
        },
      };
    });
  }

  /**
   * Changes only the weights of an existing endpoint. `decide` reads the weights (and the
   * revision they expect) against the endpoint as the store has it: an error refuses with 400.
   */
  setWeights(
    name: string,
    decide: (endpoint: EndpointState) => Checked<WeightsChange>,
  ): Promise<ChangeResult | Refusal> {
    return this.change((s) => {
      const current = s.endpoints.get(name);
      if (!current) return { kind: 'refuse', result: notFound(name) };
      const decided = decide(current);
      if (!decided.ok) return { kind: 'refuse', result: { ok: false, status: 400, error: decided.error } };
      const conflict = checkRevision(name, current, decided.value.expectedRevision);
      if (conflict) return { kind: 'refuse', result: conflict };
      return {
        kind: 'set',
        endpoint: {
          ...current,
          weights: decided.value.weights,
          revision: current.revision + 1,
          updatedAt: new Date().toISOString(),
        },
      };
    });
  }

  /** Sets (or with `{}` clears) a variant's injected fault; the revision stays, it is not a routing change. */
  setFault(name: string, variant: string, fault: Fault): Promise<ChangeResult> {
    return this.change((s) => {
      const current = s.endpoints.get(name);
      if (!current) return { kind: 'refuse', result: notFound(name) };
      if (!current.variants.some((v) => v.name === variant)) {
        return {
          kind: 'refuse',
          result: { ok: false, status: 404, error: `endpoint ${name} has no variant ${JSON.stringify(variant)}` },
        };
      }
      const faults = { ...current.faults };
      if (Object.keys(fault).length === 0) delete faults[variant];
      else faults[variant] = fault;
      return { kind: 'set', endpoint: { ...current, faults } };
    });
  }

  /** Removes an endpoint; `false` when there was none. */
  async delete(name: string): Promise<boolean> {
    const result = await this.change<ChangeResult>((s) =>
      s.endpoints.has(name) ? { kind: 'delete', name } : { kind: 'refuse', result: notFound(name) },
    );
    return result.ok;
  }

  /**
   * Reads the store's state now if it moved (one `head`), so an admin read reflects a change just
   * made through another replica; a store that does not answer leaves the last read in place.
   */
  refresh(): Promise<void> {
    return this.serialized(() => this.poll());
  }

  /** Starts following the store: another replica's change is read within `intervalMs` (plus a read). */
  follow(intervalMs = FOLLOW_INTERVAL_MS): void {
    if (this.following) return;
    this.following = true;
    const tick = () => {
      void this.serialized(() => this.poll()).finally(() => {
        if (this.following) this.timer = setTimeout(tick, intervalMs).unref();
      });
    };
    this.timer = setTimeout(tick, intervalMs).unref();
  }

  /** Stops following the store. */
  stop(): void {
    this.following = false;
    if (this.timer) clearTimeout(this.timer);
  }

  private async poll(): Promise<void> {
    // a read the store never answered is not repeated: one hung request, not one per interval
    if (this.reading) {
      this.markStale(`the last read has had no answer for more than ${POLL_TIMEOUT_MS / 1000} s`);
      return;
    }
    const read = (async () => {
      const info = await this.opts.store.head(STATE_KEY);
      const etag = info?.etag ?? null;
      if (etag !== this.etag) {
        const doc = await readDocument(this.opts.store);
        this.replace(doc.etag, doc.doc, true);
      }
    })();
    this.reading = read.then(
      () => undefined,
      () => undefined,
    );
    void this.reading.then(() => (this.reading = undefined));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), POLL_TIMEOUT_MS).unref();
    });
    try {
      const outcome = await Promise.race([read, timedOut]);
      if (outcome === 'timeout') {
        this.markStale(`no answer within ${POLL_TIMEOUT_MS / 1000} s`);
        return;
      }
      if (!this.status.ok) this.opts.log?.('the store answers again: the endpoints are current');
      this.status = { ok: true, lastSyncAt: Date.now() };
    } catch (err) {
      this.markStale(storeMessage(err));
    } finally {
      clearTimeout(timer);
    }
  }

  private markStale(error: string): void {
    if (this.status.ok) this.opts.log?.(`cannot read the endpoints from the store, serving the last read: ${error}`);
    this.status = { ok: false, lastSyncAt: this.status.lastSyncAt, error };
  }

  private replace(etag: string | null, doc: StateDocument | undefined, notify: boolean): void {
    const before = this.current.list();
    this.current = Snapshot.of(doc);
    this.etag = etag;
    if (notify) this.opts.onReplaced?.(before, this.current.list());
  }

  /**
   * Applies `edit` to the store's document with compare-and-swap, re-reading and re-applying on
   * every lost race. `edit` returning `undefined` writes the document as is (with missing tokens made).
   */
  private change<R extends ChangeResult | Refusal>(edit: (s: Snapshot) => Edit | undefined): Promise<R> {
    return this.serialized(async () => {
      // judge the change on the store's state, not on a copy up to one poll old
      const info = await this.opts.store.head(STATE_KEY);
      if ((info?.etag ?? null) !== this.etag) {
        const read = await readDocument(this.opts.store);
        this.replace(read.etag, read.doc, true);
      }
      for (let attempt = 1; ; attempt++) {
        const next = Snapshot.of(this.current.document());
        const e = edit(next);
        if (e?.kind === 'refuse') return e.result as R;
        let endpoint: EndpointState | undefined;
        if (e?.kind === 'set') {
          endpoint = e.endpoint;
          next.endpoints.set(endpoint.name, endpoint);
          if (e.rotateToken || !next.feedbackTokens.has(endpoint.name)) {
            next.feedbackTokens.set(endpoint.name, newFeedbackToken());
          }
        } else if (e?.kind === 'delete') {
          next.endpoints.delete(e.name);
          next.feedbackTokens.delete(e.name);
        }
        for (const name of next.endpoints.keys()) {
          if (!next.feedbackTokens.has(name)) next.feedbackTokens.set(name, newFeedbackToken());
        }
        const swapped = await this.opts.store.compareAndSwap(STATE_KEY, this.etag, jsonBody(next.document()), {
          contentType: 'application/json',
        });
        if (swapped.swapped) {
          this.current = next;
          this.etag = swapped.etag;
          this.status = { ok: true, lastSyncAt: Date.now() };
          return { ok: true, endpoint } as R;
        }
        if (attempt >= MAX_ATTEMPTS) {
          throw new Error(`${STATE_KEY}: lost ${MAX_ATTEMPTS} races to other gateway replicas in a row; retry`);
        }
        // another replica changed the endpoints: read what it wrote, then apply this change to that
        const read = await readDocument(this.opts.store);
        this.replace(read.etag, read.doc, true);
      }
    });
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

async function readDocument(store: BlobStore): Promise<{ etag: string | null; doc: StateDocument | undefined }> {
  const read = await readVersioned<StateDocument>(store, STATE_KEY);
  if (read.etag !== null && !Array.isArray(read.value?.endpoints)) {
    throw new Error(`${store.uri}/${STATE_KEY}: has no endpoints list`);
  }
  return { etag: read.etag, doc: read.value };
}

/** The legacy state file's document, or `undefined` when there is none; a corrupt file is an error. */
function readLegacyFile(file: string): StateDocument | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let parsed: StateDocument;
  try {
    parsed = JSON.parse(text) as StateDocument;
  } catch (err) {
    throw new UserError(`${file}: not valid JSON (${(err as Error).message}); fix or remove it`, 1);
  }
  if (!Array.isArray(parsed?.endpoints)) throw new UserError(`${file}: has no endpoints list; fix or remove it`, 1);
  return parsed;
}

function storeMessage(err: unknown): string {
  const message = (err as Error)?.message ?? String(err);
  return message.split('\n')[0]?.slice(0, 300) ?? '';
}

function checkRevision(
  name: string,
  current: EndpointState | undefined,
  expected: number | undefined,
): (ChangeResult & { ok: false }) | undefined {
  if (expected === undefined) return undefined;
  const actual = current?.revision ?? 0;
  if (actual === expected) return undefined;
  return {
    ok: false,
    status: 409,
    error: `expectedRevision: endpoint ${name} is at revision ${actual}, not ${expected}; read it again and retry`,
  };
}

function notFound(name: string): ChangeResult & { ok: false } {
  return { ok: false, status: 404, error: `endpoint ${JSON.stringify(name)} not found` };
}
