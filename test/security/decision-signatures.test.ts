/**
 * Approvals with verified identity, without a server: the SSHSIG verifier (lib/ssh-signature.ts)
 * against signatures made by the real `ssh-keygen -Y sign`, and the worker's `verifyDecision`
 * (activities/approvals/) refusing what an impostor would send — an unsigned decision where keys
 * are listed, a key not listed for the actor, a signature of another decision, another namespace,
 * an old signature — and the registry's approvers file. Before signed decisions, `--as alice` was
 * all it took to decide as alice: every refusal here is an attack that used to succeed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FilesystemBlobStore } from '../../activities/storage';
import { verifyDecision, type VerifyDecisionInput } from '../../activities/approvals';
import { ModelRegistry } from '../../activities/registry/registry';
import { approvalsVerdict } from '../../client/commands/doctor-approvals';
import { DecisionNotVerifiedError } from '../../common/failures';
import { APPROVERS_FILE_KEY } from '../../common/schemas/approvers';
import { pipelineSpecSchema } from '../../common/schemas/spec';
import { decisionMessage, type DecisionFields } from '../../common/signed-decision';
import { parsePublicKeyLine, verifySignature } from '../../lib/ssh-signature';
import { keyFolder, makeKey, sshSign, type TestKey } from '../support/ssh-keys';

const dir = keyFolder();
const alice = makeKey(dir, 'alice');
const mallory = makeKey(dir, 'mallory');

const decision: Omit<DecisionFields, 'time'> = {
  run: 'retrain/churn/20260101T000000Z',
  model: 'churn-model',
  version: 3,
  decision: 'approve',
  comment: 'looks good',
  actor: 'alice',
};

const signed = (key: TestKey, fields: Partial<DecisionFields> = {}, namespace?: string) => {
  const message = decisionMessage({ ...decision, time: new Date().toISOString(), ...fields });
  return { message, signature: sshSign(key, message, namespace) };
};

const rejects = (p: Promise<unknown>, pattern: RegExp) =>
  assert.rejects(p, (err: Error) => {
    assert.ok(err instanceof DecisionNotVerifiedError, `a DecisionNotVerified, got ${err.name}: ${err.message}`);
    assert.match(err.message, pattern);
    return true;
  });

describe('SSH signatures (ssh-keygen -Y sign) verified with node:crypto', () => {
  for (const type of ['ed25519', 'ecdsa', 'rsa'] as const) {
    it(`accepts a ${type} signature and names its key's fingerprint as ssh-keygen -l does`, () => {
      const key = makeKey(dir, `k-${type}`, type);
      const sig = verifySignature(sshSign(key, 'the message'), 'the message', 'mlops-decision');
      assert.equal(sig.publicKey.fingerprint, key.fingerprint);
      assert.equal(parsePublicKeyLine(key.publicKey).fingerprint, key.fingerprint);
      assert.throws(
        () => verifySignature(sshSign(key, 'the message'), 'the messagE', 'mlops-decision'),
        /does not match/,
      );
    });
  }

  it('refuses a signature made for another namespace (git commits, say)', () => {
    assert.throws(
      () => verifySignature(sshSign(alice, 'm', 'git'), 'm', 'mlops-decision'),
      /namespace git, not mlops-decision/,
    );
  });

  it('refuses what is not an armored signature, or a truncated one', () => {
    assert.throws(() => verifySignature('hello', 'm', 'mlops-decision'), /not an armored SSH signature/);
    const sig = sshSign(alice, 'm').split('\n');
    const cut = [sig[0], sig[1], sig.at(-2)].join('\n');
    assert.throws(() => verifySignature(cut, 'm', 'mlops-decision'), /signature|public key/);
  });
});

describe('verifyDecision: a decision is accepted only when signed by a key listed for its actor', () => {
  const root = fs.mkdtempSync(path.join(dir, 'store-'));
  const store = new FilesystemBlobStore(root);
  const withKeys: VerifyDecisionInput['approvers'] = [{ name: 'alice', key: alice.publicKey }, 'bob'];

  afterEach(async () => {
    await store.delete(APPROVERS_FILE_KEY).catch(() => undefined);
  });

  it("accepts a decision signed by the actor's listed key, and names the key", async () => {
    const result = await verifyDecision(store, { expected: decision, approvers: withKeys, signature: signed(alice) });
    assert.deepEqual(result.verified && [result.fingerprint, result.keyType], [alice.fingerprint, 'ssh-ed25519']);
  });

  it('refuses an unsigned decision where an approver has a key', async () => {
    await rejects(
      verifyDecision(store, { expected: decision, approvers: withKeys }),
      /^decision not signed: the spec requires signed decisions/,
    );
  });

  it('refuses a signature by a key not listed for the actor (mallory signing as alice)', async () => {
    await rejects(
      verifyDecision(store, { expected: decision, approvers: withKeys, signature: signed(mallory) }),
      new RegExp(`^signature by key ${mallory.fingerprint.replace(/[+/]/g, '\\$&')} which is not listed for alice`),
    );
  });

  it('refuses a listed name without a key when the spec requires signatures (bob, listed by name only)', async () => {
    await rejects(
      verifyDecision(store, {
        expected: { ...decision, actor: 'bob' },
        approvers: withKeys,
        signature: signed(alice, { actor: 'bob' }),
      }),
      /no key is listed for bob/,
    );
  });

  it('refuses a message changed after signing, and a signature of another run, decision or comment', async () => {
    const good = signed(alice);
    await rejects(
      verifyDecision(store, {
        expected: decision,
        approvers: withKeys,
        signature: { ...good, message: good.message.replace('looks good', 'looks great') },
      }),
      /^bad signature: does not match the signed message/,
    );
    await rejects(
      verifyDecision(store, {
        expected: decision,
        approvers: withKeys,
        signature: signed(alice, { run: 'retrain/churn/other' }),
      }),
      /^signature is for run "retrain\/churn\/other", not "retrain\/churn\/20260101T000000Z"/,
    );
    await rejects(
      verifyDecision(store, {
        expected: { ...decision, decision: 'reject' },
        approvers: withKeys,
        signature: signed(alice),
      }),
      /^signature is for decision "approve", not "reject"/,
    );
    await rejects(
      verifyDecision(store, { expected: decision, approvers: withKeys, signature: signed(alice, { version: 2 }) }),
      /^signature is for version 2, not 3/,
    );
  });

  it('refuses a signature made for another namespace', async () => {
    await rejects(
      verifyDecision(store, { expected: decision, approvers: withKeys, signature: signed(alice, {}, 'git') }),
      /namespace git/,
    );
  });

  it('refuses a signature older than ten minutes (a replayed decision)', async () => {
    const old = new Date(Date.now() - 11 * 60_000).toISOString();
    await rejects(
      verifyDecision(store, { expected: decision, approvers: withKeys, signature: signed(alice, { time: old }) }),
      /^signature expired: signed at .*, more than 10 minutes ago/,
    );
  });

  it('accepts an unsigned decision where no approver has a key (unverified, as before)', async () => {
    const result = await verifyDecision(store, { expected: decision, approvers: ['alice', 'bob'] });
    assert.equal(result.verified, false);
  });

  it('the registry approvers file requires signatures for a spec without keys, with its own keys', async () => {
    await store.put(
      APPROVERS_FILE_KEY,
      JSON.stringify({ approvers: [{ name: 'alice', key: alice.publicKey }], requireSigned: true }),
    );
    await rejects(
      verifyDecision(store, { expected: decision, approvers: ['alice'] }),
      /^decision not signed: registry\/approvers.json requires signed decisions/,
    );
    await rejects(verifyDecision(store, { expected: decision, signature: signed(mallory) }), /not listed for alice/);
    const result = await verifyDecision(store, { expected: decision, signature: signed(alice) });
    assert.equal(result.verified && result.fingerprint, alice.fingerprint);
  });

  it("a spec cannot re-key a name the approvers file lists (mallory's key listed as alice's in her own spec)", async () => {
    await store.put(APPROVERS_FILE_KEY, JSON.stringify({ approvers: [{ name: 'alice', key: alice.publicKey }] }));
    await rejects(
      verifyDecision(store, {
        expected: decision,
        approvers: [{ name: 'alice', key: mallory.publicKey }],
        signature: signed(mallory),
      }),
      /which is not listed for alice/,
    );
  });

  it('a malformed approvers file refuses every decision, naming the file and field', async () => {
    await store.put(APPROVERS_FILE_KEY, JSON.stringify({ approvers: [{ name: 'alice', key: 'not a key' }] }));
    await rejects(verifyDecision(store, { expected: decision }), /^registry\/approvers.json: approvers.0.key/);
    // a file that is not JSON: none of its text
    await store.put(APPROVERS_FILE_KEY, '{\n  "approvers": [\n    secret-looking-text-0123\n');
    await assert.rejects(verifyDecision(store, { expected: decision }), (error: Error) => {
      assert.equal(error.message, 'registry/approvers.json: not valid JSON');
      return true;
    });
  });
});

describe('signed decisions in the spec and the registry audit', () => {
  it('a spec lists approvers by name or with their key; a malformed key is refused naming the field', () => {
    const base = {
      name: 'churn',
      model: 'churn-model',
      dataset: { name: 'churn', source: '/data' },
      training: { entrypoint: ['python', 'train.py'] },
      evaluation: { entrypoint: ['python', 'evaluate.py'], primaryMetric: 'auc' },
    };
    const ok = pipelineSpecSchema.safeParse({
      ...base,
      approval: { approvers: ['bob', { name: 'alice', key: alice.publicKey }] },
    });
    assert.ok(ok.success);
    const bad = pipelineSpecSchema.safeParse({ ...base, approval: { approvers: [{ name: 'alice', key: 'AAAA' }] } });
    assert.ok(!bad.success);
    assert.deepEqual(bad.error.issues[0]?.path.slice(0, 3), ['approval', 'approvers', 0]);
  });

  it('records the verified key fingerprint in the audit entry of a status change', async () => {
    const registry = new ModelRegistry(new FilesystemBlobStore(fs.mkdtempSync(path.join(dir, 'registry-'))));
    await registry.registerModel({
      model: 'churn-model',
      artifactUri: 'file:///m',
      metrics: { auc: 0.9 },
      params: {},
      trainingSnapshot: { dataset: 'churn', id: 'a'.repeat(64) },
      codeVersion: 'c1',
      pipelineRun: 'retrain/churn/1',
      trigger: 'manual',
    });
    await registry.setStatus('churn-model', 1, 'approved', {
      actor: 'alice',
      reason: 'looks good',
      signedBy: alice.fingerprint,
    });
    const audit = await registry.listAudit('churn-model', { version: 1 });
    const status = audit.find((e) => e.action === 'status');
    assert.equal(status?.signedBy, alice.fingerprint);
  });
});

describe('mlops doctor: signed decisions', () => {
  const spec = (name: string, approvers?: VerifyDecisionInput['approvers']) => ({
    name,
    approval: { required: true, approvers, timeout: '24h', onTimeout: 'reject' as const },
  });

  it('says decisions are unverified where no approver has a key, naming the pipelines', () => {
    const verdict = approvalsVerdict(
      [spec('churn', ['alice']), spec('fraud', [{ name: 'bob', key: alice.publicKey }])],
      undefined,
    );
    assert.equal(verdict.status, 'warn');
    assert.match(verdict.detail, /^decisions are unverified for churn: no approver has a key/);
  });

  it('is content where every approving spec lists keys, or the approvers file requires signatures', () => {
    assert.equal(approvalsVerdict([spec('fraud', [{ name: 'bob', key: alice.publicKey }])], undefined).status, 'ok');
    const file = { approvers: [{ name: 'alice', key: alice.publicKey }], requireSigned: true };
    const verdict = approvalsVerdict([spec('churn', ['alice'])], file);
    assert.deepEqual(
      [verdict.status, verdict.detail.startsWith('registry/approvers.json requires every decision signed')],
      ['ok', true],
    );
  });
});
