/**
 * Fake of a serving backend (activities/serving/types.ts `ServingBackend`; the real one is
 * `LocalServingBackend`: model-server variants behind the gateway): in memory, every variant ready at
 * once, and each variant's metrics scripted by the test. It stands in for the gateway and the model
 * servers so that workflow tests drive the real serving and rollout activities — and the real canary
 * analysis — through windows whose metrics they choose, in seconds, and can assert every traffic
 * split that was set, in order.
 */
import type {
  EndpointDescription,
  ModelRef,
  ServingBackend,
  Variant,
  VariantMetrics,
} from '../../activities/serving/types';

interface FakeVariant {
  name: string;
  model: string;
  version: number;
}

/** An in-memory serving backend: variants ready at once, metrics from `metricsOf(variant)`. */
export class FakeServing implements ServingBackend {
  readonly weights = new Map<string, Record<string, number>>();
  /** Every split `setTraffic` was asked for, in order. */
  readonly trafficSet: Record<string, number>[] = [];
  /** Every variant undeployed, in order. */
  readonly undeployed: string[] = [];
  private readonly variants = new Map<string, Map<string, FakeVariant>>();

  constructor(private readonly metricsOf: (variant: string) => VariantMetrics) {}

  /** An endpoint serving `version` of `model` at 100%, as variant `<model>-v<version>`. */
  withServing(endpoint: string, model: string, version: number): this {
    const name = `${model}-v${version}`;
    this.variants.set(endpoint, new Map([[name, { name, model, version }]]));
    this.weights.set(endpoint, { [name]: 100 });
    return this;
  }

  deployVariant(endpoint: string, model: ModelRef): Promise<Variant> {
    const name = `${model.name}-v${model.version}`;
    const known = this.variants.get(endpoint) ?? new Map<string, FakeVariant>();
    const attached = known.has(name);
    known.set(name, { name, model: model.name, version: model.version });
    this.variants.set(endpoint, known);
    const { artifactUri, version } = model;
    return Promise.resolve({
      endpoint,
      name,
      model: model.name,
      version,
      artifactUri,
      upstream: 'http://fake',
      attached,
    });
  }

  waitReady(): Promise<void> {
    return Promise.resolve();
  }

  setTraffic(endpoint: string, weights: Record<string, number>): Promise<EndpointDescription> {
    this.trafficSet.push(weights);
    this.weights.set(endpoint, weights);
    return this.describe(endpoint);
  }

  readMetrics(_endpoint: string, variant: string): Promise<VariantMetrics> {
    return Promise.resolve(this.metricsOf(variant));
  }

  undeployVariant(endpoint: string, variant: string): Promise<void> {
    this.undeployed.push(variant);
    this.variants.get(endpoint)?.delete(variant);
    return Promise.resolve();
  }

  describe(endpoint: string): Promise<EndpointDescription> {
    const weights = this.weights.get(endpoint) ?? {};
    return Promise.resolve({
      endpoint,
      revision: this.trafficSet.length,
      variants: [...(this.variants.get(endpoint)?.values() ?? [])].map((v) => ({
        ...v,
        weight: weights[v.name] ?? 0,
        upstream: 'http://fake',
        ready: true,
      })),
    });
  }

  listEndpoints(): Promise<string[]> {
    return Promise.resolve([...this.variants.keys()]);
  }
}
