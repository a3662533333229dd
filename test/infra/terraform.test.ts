/**
 * infra/terraform, parsed with an HCL parser (Terraform itself is not run): the namespace carries
 * exactly the project's search attributes, the bucket is private, encrypted and versioned with
 * captured traffic expiring under the gateway's real key layout, the workers' role reaches only the
 * bucket, and every variable and output is typed, described and documented.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { SearchAttributeType } from '@temporalio/common';
import { ML_SEARCH_ATTRIBUTES } from '../../common/search-attributes';
import { REPO_ROOT } from '../../lib/tools';
import { CAPTURE_TAGS } from '../../gateway/capture';

const TF_DIR = path.join(REPO_ROOT, 'infra', 'terraform');

/** A block as the parser gives it: attributes, and nested blocks as arrays. */
type Block = Record<string, unknown>;

interface Module {
  files: string[];
  text: string;
  resource(type: string, name: string): Block;
  resources(type: string): [string, Block][];
  data(type: string, name: string): Block;
  locals: Block;
  variables: Record<string, Block>;
  outputs: Record<string, Block>;
  terraform: Block;
}

async function loadModule(): Promise<Module> {
  const files = fs.readdirSync(TF_DIR).filter((f) => f.endsWith('.tf'));
  const merged: Record<string, Record<string, Record<string, Block[]>>> = { resource: {}, data: {} };
  const locals: Block = {};
  const variables: Record<string, Block> = {};
  const outputs: Record<string, Block> = {};
  const terraform: Block[] = [];
  let text = '';
  for (const file of files) {
    const source = fs.readFileSync(path.join(TF_DIR, file), 'utf8');
    text += source;
    const json = (await parse(file, source)) as {
      resource?: Record<string, Record<string, Block[]>>;
      data?: Record<string, Record<string, Block[]>>;
      locals?: Block[];
      variable?: Record<string, Block[]>;
      output?: Record<string, Block[]>;
      terraform?: Block[];
    };
    for (const kind of ['resource', 'data'] as const)
      for (const [type, byName] of Object.entries(json[kind] ?? {}))
        for (const [name, blocks] of Object.entries(byName)) {
          assert.equal(merged[kind]![type]?.[name], undefined, `${kind} ${type}.${name} is declared twice`);
          (merged[kind]![type] ??= {})[name] = blocks;
        }
    for (const l of json.locals ?? []) Object.assign(locals, l);
    for (const [name, [v]] of Object.entries(json.variable ?? {})) variables[name] = v!;
    for (const [name, [o]] of Object.entries(json.output ?? {})) outputs[name] = o!;
    terraform.push(...(json.terraform ?? []));
  }
  const one = (kind: 'resource' | 'data', type: string, name: string) => {
    const found = merged[kind]![type]?.[name]?.[0];
    assert.ok(found, `${kind} ${type}.${name} is declared`);
    return found;
  };
  return {
    files,
    text,
    resource: (type, name) => one('resource', type, name),
    resources: (type) => Object.entries(merged.resource![type] ?? {}).map(([n, [b]]) => [n, b!]),
    data: (type, name) => one('data', type, name),
    locals,
    variables,
    outputs,
    terraform: Object.assign({}, ...terraform) as Block,
  };
}

/** The first nested block of a kind (the parser gives nested blocks as arrays). */
function block(parent: Block | undefined, name: string): Block {
  const found = (parent?.[name] as Block[] | undefined)?.[0];
  assert.ok(found, `a ${name} block`);
  return found;
}

/** Every nested block of a kind. */
function blocks(parent: Block | undefined, name: string): Block[] {
  return (parent?.[name] as Block[] | undefined) ?? [];
}

/** The `dynamic "<name>"` blocks of a block (the parser gives `dynamic` as an object of arrays). */
function dynamicBlocks(parent: Block, name: string): Block[] {
  const found = (parent.dynamic as Record<string, Block[]> | undefined)?.[name] ?? [];
  assert.ok(found.length > 0, `a dynamic "${name}" block`);
  return found;
}

/** The provider's names of search attribute types (temporalcloud_namespace_search_attribute.type). */
const PROVIDER_TYPE: Record<string, string> = {
  [SearchAttributeType.KEYWORD]: 'keyword',
  [SearchAttributeType.TEXT]: 'text',
  [SearchAttributeType.INT]: 'int',
  [SearchAttributeType.DOUBLE]: 'double',
  [SearchAttributeType.BOOL]: 'bool',
  [SearchAttributeType.DATETIME]: 'datetime',
  [SearchAttributeType.KEYWORD_LIST]: 'keyword_list',
};

describe('Terraform module (infra/terraform)', () => {
  let tf: Module;
  before(async () => {
    tf = await loadModule();
  });

  it('pins the temporalcloud and aws providers', () => {
    const providers = block(tf.terraform, 'required_providers') as Record<string, { source: string; version: string }>;
    assert.equal(providers.temporalcloud?.source, 'temporalio/temporalcloud');
    assert.equal(providers.aws?.source, 'hashicorp/aws');
    for (const [name, p] of Object.entries(providers))
      assert.match(p.version ?? '', /^~> \d+\.\d+$/, `${name}: a pessimistic version constraint`);
    assert.match(String(tf.terraform.required_version), /^>= 1\.\d+/);
  });

  it("registers exactly the project's search attributes, with their types, on the namespace", () => {
    const resources = tf.resources('temporalcloud_namespace_search_attribute');
    const declared = resources.flatMap(([name, r]) => {
      assert.equal(r.namespace_id, '${temporalcloud_namespace.mlops.id}', name);
      if (r.for_each === undefined) return [`${String(r.name)}=${String(r.type).toLowerCase()}`];
      // for_each over a local map of name => type
      const local = /^\$\{local\.(\w+)\}$/.exec(String(r.for_each))?.[1];
      assert.ok(local, `${name}: for_each over a local map`);
      assert.deepEqual([r.name, r.type], ['${each.key}', '${each.value}']);
      return Object.entries(tf.locals[local] as Record<string, string>).map(([n, t]) => `${n}=${t.toLowerCase()}`);
    });
    const expected = ML_SEARCH_ATTRIBUTES.map((k) => `${k.name}=${PROVIDER_TYPE[k.type]}`);
    assert.deepEqual([...declared].sort(), [...expected].sort());
    assert.equal(new Set(declared).size, declared.length, 'no attribute twice');
  });

  it('lets the namespace authenticate with API keys or mTLS, by variable', () => {
    const ns = tf.resource('temporalcloud_namespace', 'mlops');
    assert.equal(ns.api_key_auth, '${var.temporal_auth == "api_key"}');
    assert.match(String(ns.accepted_client_ca), /var\.temporal_auth == "mtls" \? var\.temporal_accepted_client_ca/);
    assert.match(String(block(tf.variables.temporal_auth, 'validation').condition), /"api_key", "mtls"/);
    assert.deepEqual(ns.regions, '${var.temporal_regions}');
  });

  it('keeps the bucket private, encrypted and versioned', () => {
    const bucketId = '${aws_s3_bucket.store.id}';
    const versioning = tf.resource('aws_s3_bucket_versioning', 'store');
    assert.equal(versioning.bucket, bucketId);
    assert.equal(block(versioning, 'versioning_configuration').status, 'Enabled');
    const sse = tf.resource('aws_s3_bucket_server_side_encryption_configuration', 'store');
    assert.equal(sse.bucket, bucketId);
    const byDefault = block(block(sse, 'rule'), 'apply_server_side_encryption_by_default');
    assert.equal(byDefault.sse_algorithm, '${var.kms_key_arn == null ? "AES256" : "aws:kms"}');
    assert.equal(byDefault.kms_master_key_id, '${var.kms_key_arn}');
    const pab = tf.resource('aws_s3_bucket_public_access_block', 'store');
    assert.equal(pab.bucket, bucketId);
    for (const k of ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'])
      assert.equal(pab[k], true, k);
    const ownership = tf.resource('aws_s3_bucket_ownership_controls', 'store');
    assert.equal(block(ownership, 'rule').object_ownership, 'BucketOwnerEnforced');
  });

  it('expires captured requests by the tag the gateway writes, under the store prefix, after capture_retention_days', () => {
    const lifecycle = tf.resource('aws_s3_bucket_lifecycle_configuration', 'store');
    assert.equal(lifecycle.bucket, '${aws_s3_bucket.store.id}');
    const rule = blocks(lifecycle, 'rule').find((r) => r.id === 'expire-captured-requests');
    assert.ok(rule, 'a rule expire-captured-requests');
    assert.equal(rule.status, 'Enabled');
    assert.equal(block(rule, 'expiration').days, '${var.capture_retention_days}');
    const filter = block(block(rule, 'filter'), 'and');
    // the tags the gateway puts on captured batches (and not on feedback labels)
    assert.deepEqual(filter.tags, CAPTURE_TAGS);
    assert.equal(filter.prefix, '${local.key_prefix}');
    // the store puts its prefix and a slash before every key (activities/storage/s3.ts)
    assert.equal(tf.locals.key_prefix, '${var.store_prefix == "" ? "" : "${var.store_prefix}/"}');
    assert.equal(tf.variables.capture_retention_days?.type, '${number}');
    assert.ok(Number(tf.variables.capture_retention_days?.default) > 0);
  });

  it('lets the workers reach only the store: its objects and its listing, under the prefix', () => {
    const role = tf.resource('aws_iam_role', 'worker');
    assert.equal(role.assume_role_policy, '${data.aws_iam_policy_document.worker_trust.json}');
    const attached = tf.resource('aws_iam_role_policy', 'worker_store');
    assert.equal(attached.role, '${aws_iam_role.worker.id}');
    assert.equal(attached.policy, '${data.aws_iam_policy_document.worker_store.json}');
    const statements = blocks(tf.data('aws_iam_policy_document', 'worker_store'), 'statement');
    const s3Actions = statements.flatMap((s) => s.actions as string[]);
    assert.deepEqual(s3Actions.sort(), [
      's3:AbortMultipartUpload',
      's3:DeleteObject',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
      's3:PutObjectTagging',
    ]);
    for (const s of statements) {
      assert.notEqual(s.effect, 'Deny');
      const resources = s.resources as string[];
      const list = (s.actions as string[]).includes('s3:ListBucket');
      assert.deepEqual(
        resources,
        list ? ['${aws_s3_bucket.store.arn}'] : ['${aws_s3_bucket.store.arn}/${local.key_prefix}*'],
      );
      if (list) assert.deepEqual(block(s, 'condition').values, ['${local.key_prefix}*']);
    }
    const [kms] = dynamicBlocks(tf.data('aws_iam_policy_document', 'worker_store'), 'statement') as [Block];
    assert.deepEqual(block(kms, 'content').resources, ['${statement.value}']);
    assert.equal(kms.for_each, '${var.kms_key_arn == null ? [] : [var.kms_key_arn]}');

    // trusted: the workers' Kubernetes service account (IRSA), or principals named by variable
    const trust = dynamicBlocks(tf.data('aws_iam_policy_document', 'worker_trust'), 'statement');
    const irsa = block(trust[0], 'content');
    assert.equal(trust[0]!.for_each, '${var.eks_oidc_provider_arn == null ? [] : [var.eks_oidc_provider_arn]}');
    assert.deepEqual(irsa.actions, ['sts:AssumeRoleWithWebIdentity']);
    const sub = blocks(irsa, 'condition').find((c) => String(c.variable).endsWith(':sub'));
    assert.deepEqual(sub?.values, ['system:serviceaccount:${var.k8s_namespace}:${var.k8s_service_account}']);
  });

  it('matches the Kubernetes prod overlay: service account, namespace and store URI', () => {
    const overlay = path.join(REPO_ROOT, 'infra', 'k8s', 'overlays', 'prod');
    assert.equal(
      tf.variables.k8s_namespace?.default,
      /^namespace: (\S+)$/m.exec(read(overlay, 'kustomization.yaml'))?.[1],
    );
    assert.match(
      read(REPO_ROOT, 'infra/k8s/base/workers/service-account.yaml'),
      new RegExp(`name: ${tf.variables.k8s_service_account?.default}$`, 'm'),
    );
    const store = /^MLOPS_STORE=s3:\/\/[^/]+\/(.*)$/m.exec(read(overlay, 'config.env'))?.[1];
    assert.equal(store, tf.variables.store_prefix?.default);
  });

  it('types and describes every variable and output, declares every variable it uses, and documents them', () => {
    const readme = read(TF_DIR, 'README.md');
    for (const [name, v] of Object.entries(tf.variables)) {
      assert.ok(typeof v.description === 'string' && v.description.length > 10, `variable ${name}: a description`);
      assert.ok(typeof v.type === 'string' && v.type.startsWith('${'), `variable ${name}: a type`);
      assert.ok(tf.text.includes(`var.${name}`), `variable ${name} is used`);
      assert.ok(readme.includes(`\`${name}\``), `variable ${name} is in the README`);
    }
    for (const used of new Set([...tf.text.matchAll(/\bvar\.(\w+)/g)].map((m) => m[1]!)))
      assert.ok(tf.variables[used], `var.${used} is declared`);
    for (const [name, o] of Object.entries(tf.outputs)) {
      assert.ok(typeof o.description === 'string' && o.description.length > 10, `output ${name}: a description`);
      assert.ok(readme.includes(`\`${name}\``), `output ${name} is in the README`);
    }
    assert.equal(tf.outputs.temporal_namespace?.value, '${temporalcloud_namespace.mlops.id}');
    assert.equal(tf.outputs.temporal_grpc_address?.value, '${temporalcloud_namespace.mlops.endpoints.grpc_address}');
    assert.equal(tf.outputs.bucket_name?.value, '${aws_s3_bucket.store.bucket}');
    assert.equal(tf.outputs.worker_role_arn?.value, '${aws_iam_role.worker.arn}');
    assert.ok(!/api_key\s*=|secret_key\s*=|password\s*=/.test(tf.text), 'no credential in the module');
  });
});

function read(dir: string, file: string): string {
  return fs.readFileSync(path.join(dir, file), 'utf8');
}
