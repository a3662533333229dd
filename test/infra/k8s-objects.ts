/** The parts of rendered Kubernetes objects the infra tests read, and where they reference others. */

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

interface SecretKeyRef {
  name: string;
  key: string;
  optional?: boolean;
}

export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: {
      secretKeyRef?: SecretKeyRef;
      configMapKeyRef?: { name: string; key: string };
      fieldRef?: { fieldPath: string };
    };
  }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string; optional?: boolean } }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  resources?: Partial<Record<'requests' | 'limits', { cpu?: string; memory?: string }>>;
  securityContext?: {
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[] };
  };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}

interface Probe {
  httpGet?: { path: string; port: string | number };
}

interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpec;
}

export interface PodSpec {
  serviceAccountName?: string;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  containers: Container[];
  initContainers?: Container[];
  volumes?: {
    name: string;
    emptyDir?: { sizeLimit?: string };
    persistentVolumeClaim?: { claimName: string };
    configMap?: { name: string };
    secret?: { secretName: string; optional?: boolean };
    projected?: { sources: { configMap?: { name: string }; secret?: { name: string; optional?: boolean } }[] };
  }[];
}

export interface Deployment extends K8sObject {
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: PodTemplate;
  };
}

export interface StatefulSet extends K8sObject {
  spec: Deployment['spec'] & { serviceName: string; volumeClaimTemplates?: unknown[] };
}

/** A Deployment or a StatefulSet: what runs pods from a template. */
export type Workload = Deployment | StatefulSet;

export interface Service extends K8sObject {
  spec: {
    clusterIP?: string;
    publishNotReadyAddresses?: boolean;
    selector: Record<string, string>;
    ports?: { name?: string; port: number; targetPort?: string | number }[];
  };
}

interface NetworkPolicyPeer {
  podSelector?: { matchLabels?: Record<string, string> };
  namespaceSelector?: unknown;
  ipBlock?: unknown;
}

export interface NetworkPolicy extends K8sObject {
  spec: {
    podSelector: { matchLabels?: Record<string, string> };
    policyTypes?: string[];
    ingress?: { from?: NetworkPolicyPeer[]; ports?: { port?: string | number; protocol?: string }[] }[];
  };
}

export interface PodDisruptionBudget extends K8sObject {
  spec: {
    maxUnavailable?: number | string;
    minAvailable?: number | string;
    selector: { matchLabels: Record<string, string> };
  };
}

export interface HorizontalPodAutoscaler extends K8sObject {
  spec: {
    scaleTargetRef: { apiVersion: string; kind: string; name: string };
    minReplicas: number;
    maxReplicas: number;
  };
}

/** A container port by number or by name (as probes may give it). */
export function containerPort(c: Container, port: string | number | undefined): number | undefined {
  if (typeof port === 'number') return port;
  return c.ports?.find((p) => p.name === port)?.containerPort;
}

/** ConfigMap names a pod references: through `envFrom`, and everywhere (env, volumes). */
export function configMapRefs(spec: PodSpec): { envFrom: string[]; all: string[] } {
  const containers = [...spec.containers, ...(spec.initContainers ?? [])];
  const envFrom = containers.flatMap((c) => (c.envFrom ?? []).flatMap((e) => e.configMapRef?.name ?? []));
  const env = containers.flatMap((c) => (c.env ?? []).flatMap((e) => e.valueFrom?.configMapKeyRef?.name ?? []));
  const volumes = (spec.volumes ?? []).flatMap((v) => [
    ...(v.configMap ? [v.configMap.name] : []),
    ...(v.projected?.sources ?? []).flatMap((s) => s.configMap?.name ?? []),
  ]);
  return { envFrom, all: [...new Set([...envFrom, ...env, ...volumes])] };
}

/** Every Secret reference of a pod: env keys (with the variable), `envFrom`, volumes. */
export function secretRefs(spec: PodSpec): { name: string; key?: string; env?: string; optional?: boolean }[] {
  const containers = [...spec.containers, ...(spec.initContainers ?? [])];
  return [
    ...containers.flatMap((c) =>
      (c.env ?? []).flatMap((e) => {
        const ref = e.valueFrom?.secretKeyRef;
        return ref ? [{ name: ref.name, key: ref.key, env: e.name, optional: ref.optional }] : [];
      }),
    ),
    ...containers.flatMap((c) =>
      (c.envFrom ?? []).flatMap((e) =>
        e.secretRef ? [{ name: e.secretRef.name, optional: e.secretRef.optional }] : [],
      ),
    ),
    ...(spec.volumes ?? []).flatMap((v) => [
      ...(v.secret ? [{ name: v.secret.secretName, optional: v.secret.optional }] : []),
      ...(v.projected?.sources ?? []).flatMap((s) =>
        s.secret ? [{ name: s.secret.name, optional: s.secret.optional }] : [],
      ),
    ]),
  ];
}

/**
 * Who a NetworkPolicy lets reach `port` of its pods (a number, and the container port's name if it
 * has one): `'anyone'`, or the pod selectors of the peers allowed (none: nobody).
 */
export function allowedPeers(
  policy: NetworkPolicy,
  port: { number: number; name?: string },
): 'anyone' | Record<string, string>[] {
  const peers: Record<string, string>[] = [];
  for (const rule of policy.spec.ingress ?? []) {
    const covers =
      !rule.ports || rule.ports.length === 0 || rule.ports.some((p) => p.port === port.number || p.port === port.name);
    if (!covers) continue;
    if (!rule.from || rule.from.length === 0) return 'anyone';
    for (const peer of rule.from) {
      // only pod selectors of this namespace are expected here: anything wider counts as anyone
      if (peer.namespaceSelector !== undefined || peer.ipBlock !== undefined || !peer.podSelector) return 'anyone';
      peers.push(peer.podSelector.matchLabels ?? {});
    }
  }
  return peers;
}
