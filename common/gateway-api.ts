/**
 * The gateway's shapes, shared by the server, its admin API and `GatewayAdminClient`: an endpoint
 * is a named set of variants (each an upstream speaking Open Inference Protocol v2) with weights.
 */

/** One deployed model behind an endpoint: where to forward and which upstream model to call. */
export interface VariantSpec {
  /** `[a-z0-9][a-z0-9.-]*`, unique within the endpoint. */
  name: string;
  /** Base URL of the upstream, e.g. `http://127.0.0.1:8080`; the gateway calls `<upstream>/v2/models/<modelName>/infer`. */
  upstream: string;
  modelName: string;
  /** Recorded in captures (e.g. the registry version). */
  modelVersion?: string;
  /**
   * The model's input columns in the order it takes them (what its training job recorded): a
   * pandas request (`parameters.content_type: "pd"`) that has them all is forwarded with these
   * columns in this order, its other columns left out. Absent: requests are forwarded as sent.
   */
  inputs?: string[];
}

/** Which share of requests is captured and how captures are batched into the store. */
export interface CaptureSettings {
  /** 0..1 @default 1 */
  sampleRate: number;
  /** Records per NDJSON object before a flush. @default 100 */
  maxBatch: number;
  /** Longest a record waits before its batch is flushed. @default 10 */
  flushSeconds: number;
}

/** Injected failure of one variant (tests and drills); an empty fault is none. */
export interface Fault {
  /** Share of requests answered 500 instead of being forwarded, 0..1. */
  errorRate?: number;
  /** Delay added before forwarding, in milliseconds. */
  latencyMs?: number;
}

export interface EndpointState {
  name: string;
  /** Increases by one with every change of variants or weights; used for compare-and-set. */
  revision: number;
  variants: VariantSpec[];
  /** Variant name → integer share in percent; the shares sum to 100. */
  weights: Record<string, number>;
  capture: CaptureSettings;
  faults: Record<string, Fault>;
  updatedAt: string;
}

/** Body of `PUT /admin/endpoints/<name>`. */
export interface PutEndpointBody {
  variants: VariantSpec[];
  weights: Record<string, number>;
  capture?: Partial<CaptureSettings>;
  /** Refuse (409) unless the endpoint's revision is still this (0: the endpoint must not exist). */
  expectedRevision?: number;
}

/** Live figures of one variant over a window, from the gateway's in-memory ring buffers. */
export interface VariantMetrics {
  requests: number;
  errors: number;
  /** errors / requests; 0 without requests. */
  errorRate: number;
  latencyMs: { p50: number; p95: number; p99: number };
  /** The last (at most 2000) values of each request's first numeric output, oldest first. */
  predictions: number[];
}

/** Answer of `GET /admin/endpoints/<name>/metrics?window=<seconds>`. */
export interface EndpointMetrics {
  window: number;
  variants: Record<string, VariantMetrics>;
}

/** The capture defaults applied when an endpoint is set without them. */
export const CAPTURE_DEFAULTS: CaptureSettings = { sampleRate: 1, maxBatch: 100, flushSeconds: 10 };
