/**
 * Approvals with verified identity, end to end. On Temporal's time-skipping server with the fake
 * pipeline activities — but the REAL `verifyDecision` — a run whose spec lists alice with her SSH
 * key refuses an unsigned approval and one signed by an unlisted key (the run keeps waiting), and
 * accepts one signed by her key, recording its fingerprint in the status, the registry audit
 * (`setModelStatus`) and the history; a spec without keys approves unsigned, as before. On the
 * shared dev server, the real `mlops approve --key` signs with ssh-keygen and the worker accepts.
 *
 * Before signed decisions, `--as alice` was all it took to approve as alice: the refusals here are
 * that attack, now harmless.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { ModelRegistry } from '../../activities/registry/registry';
import { FilesystemBlobStore } from '../../activities/storage';
import { signDecision, sshKeygenSigner } from '../../client/api/signing';
import { APPROVERS_FILE_KEY } from '../../common/schemas/approvers';
import { pipelineSpecSchema, type PipelineSpecInput } from '../../common/schemas/spec';
import type { DecisionSignature } from '../../common/signed-decision';
import { abortUpdate, rolloutStatusQuery } from '../../workflows/progressive-rollout';
import { approveUpdate, rejectUpdate, retrainPipeline, statusQuery } from '../../workflows/retrain-pipeline';
import { cliEnv, runCli } from '../support/cli';
import {
  FAKE_PIPELINE_ACTIVITY_NAMES,
  FakePipelineActivities,
  fakeChampion,
  passingRetrainSpec,
  type FakePipelineWorld,
} from '../support/fake-pipeline-activities';
import { recordHistory } from '../support/histories';
import { keyFolder, makeKey } from '../support/ssh-keys';
import { testStack, workflowBundle } from '../support/stack';
import { awaitingApproval, timeSkippingEnvironment } from '../support/time-skipping';

const MODEL = 'churn-model';
const keys = keyFolder();
const alice = makeKey(keys, 'alice');
const mallory = makeKey(keys, 'mallory');

function specWith(approval: PipelineSpecInput['approval'], more: Partial<PipelineSpecInput> = {}) {
  return pipelineSpecSchema.parse({ ...passingRetrainSpec('churn', MODEL), approval, ...more });
}

/** Polls `ok` until it holds (at most ~10 s). */
async function until(ok: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await ok()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('timed out waiting');
}

const signedSpec = specWith({ required: true, approvers: [{ name: 'alice', key: alice.publicKey }, 'bob'] });

/** The message the update was refused with (its ApplicationFailure's), or a failed assertion. */
async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
    return err.cause?.message ?? '';
  }
  assert.fail('the update was accepted');
}

/** Signs an approval of version 1 of the run as the CLI does (ssh-keygen -Y sign). */
const signedApproval = (run: string, file: string, comment: string, actor = 'alice', version = 1) =>
  signDecision(sshKeygenSigner(file), { run, model: MODEL, version, decision: 'approve', comment, actor });

describe('signed approvals of a pipeline run (time-skipping, real verifyDecision)', function () {
  this.timeout(30_000);
  const skipping = timeSkippingEnvironment(FAKE_PIPELINE_ACTIVITY_NAMES);

  const withRun = async (
    spec: ReturnType<typeof specWith>,
    fn: (h: WorkflowHandle<typeof retrainPipeline>, fake: FakePipelineActivities) => Promise<void>,
    world: FakePipelineWorld = {},
  ) => {
    const fake = new FakePipelineActivities(world);
    skipping.use(fake.activities);
    const run = `retrain/churn/${randomUUID().slice(0, 8)}`;
    const { taskQueue } = skipping;
    const handle = await skipping.env().client.workflow.start(retrainPipeline, {
      workflowId: run,
      taskQueue,
      args: [{ spec, trigger: 'manual', actor: 'ci', trainingTaskQueue: taskQueue }],
    });
    try {
      await awaitingApproval(handle);
      await fn(handle, fake);
    } finally {
      await handle.terminate('test over').catch(() => undefined);
    }
  };

  it('refuses an unsigned approval where the spec lists keys; the run keeps waiting', async () => {
    await withRun(signedSpec, async (handle, fake) => {
      const message = await refusal(
        handle.executeUpdate(approveUpdate, { args: [{ actor: 'alice', comment: 'ship it' }] }),
      );
      assert.match(message, /^decision not signed: the spec requires signed decisions/);
      assert.equal((await handle.query(statusQuery)).stage, 'awaiting-approval');
      assert.deepEqual(fake.statuses, [], 'nothing recorded in the registry');
    });
  });

  it('refuses an approval signed by a key not listed for the actor (mallory signing as alice)', async () => {
    await withRun(signedSpec, async (handle, fake) => {
      const signature = await signedApproval(handle.workflowId, mallory.file, 'ship it');
      const message = await refusal(
        handle.executeUpdate(approveUpdate, { args: [{ actor: 'alice', comment: 'ship it', signature }] }),
      );
      assert.match(
        message,
        new RegExp(`signature by key ${escape(mallory.fingerprint)} which is not listed for alice`),
      );
      // bob is listed by name only: where the spec requires signatures, he cannot decide unsigned either
      const bob = await refusal(handle.executeUpdate(rejectUpdate, { args: [{ actor: 'bob', reason: 'no' }] }));
      assert.match(bob, /^decision not signed/);
      const status = await handle.query(statusQuery);
      assert.equal(status.stage, 'awaiting-approval');
      assert.equal(status.approval, undefined);
      assert.deepEqual(fake.statuses, []);
    });
  });

  it("refuses a signature of another decision: alice's signed approval of another run, replayed on this one", async () => {
    await withRun(signedSpec, async (handle) => {
      const signature = await signedApproval('retrain/churn/another-run', alice.file, 'ship it');
      const message = await refusal(
        handle.executeUpdate(approveUpdate, { args: [{ actor: 'alice', comment: 'ship it', signature }] }),
      );
      assert.match(message, /^signature is for run "retrain\/churn\/another-run"/);
      assert.equal((await handle.query(statusQuery)).stage, 'awaiting-approval');
    });
  });

  it("accepts an approval signed by alice's key and records the fingerprint in status, audit and history", async () => {
    await withRun(signedSpec, async (handle, fake) => {
      const signature = await signedApproval(handle.workflowId, alice.file, 'looks good');
      const decided = await handle.executeUpdate(approveUpdate, {
        args: [{ actor: 'alice', comment: 'looks good', signature }],
      });
      assert.deepEqual([decided.decision, decided.actor, decided.signedBy], ['approved', 'alice', alice.fingerprint]);
      const result = await handle.result();
      assert.equal(result.outcome, 'approved');
      assert.equal(result.approval?.signedBy, alice.fingerprint);
      const [recorded] = fake.inputsOf('setModelStatus');
      assert.deepEqual(
        [recorded?.status, recorded?.actor, recorded?.signedBy],
        ['approved', 'alice', alice.fingerprint],
      );
      // the history holds it twice: the verifyDecision activity's result and the update's
      const history = await handle.fetchHistory();
      const payloads = (history.events ?? []).flatMap((e) => [
        ...(e.activityTaskCompletedEventAttributes?.result?.payloads ?? []),
        ...(e.workflowExecutionUpdateCompletedEventAttributes?.outcome?.success?.payloads ?? []),
      ]);
      const values = payloads.map((p) =>
        defaultPayloadConverter.fromPayload<{ fingerprint?: string; signedBy?: string }>(p),
      );
      assert.ok(
        values.some((v) => v?.fingerprint === alice.fingerprint),
        'verifyDecision returned the fingerprint',
      );
      assert.ok(
        values.some((v) => v?.signedBy === alice.fingerprint),
        'the update completed with it',
      );
    });
  });

  it("refuses a rollout abort not signed by a listed key; alice's signed abort rolls back, naming her key", async () => {
    const endpoint = `ep-${randomUUID().slice(0, 8)}`;
    const spec = specWith(
      { required: true, approvers: [{ name: 'alice', key: alice.publicKey }] },
      { rollout: { endpoint, steps: [50, 100], bake: '1h', analysisInterval: '30m' } },
    );
    const champion = fakeChampion({ model: MODEL, version: 1, trainingSnapshot: 'b'.repeat(64) });
    await withRun(
      spec,
      async (handle) => {
        const approval = await signedApproval(handle.workflowId, alice.file, 'ship it', 'alice', 2);
        await handle.executeUpdate(approveUpdate, {
          args: [{ actor: 'alice', comment: 'ship it', signature: approval }],
        });
        const rollout = skipping.env().client.workflow.getHandle(`rollout/${endpoint}`);
        await until(async () => (await rollout.query(rolloutStatusQuery).catch(() => undefined))?.phase === 'baking');
        const abort = (actor: string, signature?: DecisionSignature) =>
          rollout.executeUpdate(abortUpdate, {
            args: [{ actor, reason: 'drill', ...(signature ? { signature } : {}) }],
          });
        const signedAbort = (file: string) =>
          signDecision(sshKeygenSigner(file), {
            run: `rollout/${endpoint}`,
            model: MODEL,
            version: 2,
            decision: 'abort',
            comment: 'drill',
            actor: 'alice',
          });

        assert.match(await refusal(abort('alice')), /^decision not signed: the spec requires signed decisions/);
        assert.match(await refusal(abort('alice', await signedAbort(mallory.file))), /not listed for alice/);
        assert.equal((await rollout.query(rolloutStatusQuery)).phase, 'baking', 'the rollout goes on');
        await abort('alice', await signedAbort(alice.file));
        const result = await handle.result();
        assert.equal(result.outcome, 'rolled-back');
        assert.match(
          result.steps.find((s) => s.name === 'rollout')?.summary ?? '',
          new RegExp(`^rolled back: alice \\(key ${escape(alice.fingerprint)}\\): drill$`),
        );
      },
      { champion },
    );
  });

  it('a spec without keys still approves unsigned, as before (unverified)', async () => {
    await withRun(specWith({ required: true, approvers: ['alice', 'bob'] }), async (handle, fake) => {
      const decided = await handle.executeUpdate(approveUpdate, { args: [{ actor: 'bob', comment: 'fine' }] });
      assert.deepEqual([decided.decision, decided.actor, decided.signedBy], ['approved', 'bob', undefined]);
      assert.equal((await handle.result()).outcome, 'approved');
      assert.equal(fake.inputsOf('setModelStatus')[0]?.signedBy, undefined);
    });
  });
});

describe('mlops approve --key signs the decision and the worker accepts it (dev server)', function () {
  this.timeout(120_000);

  it('approves a run whose spec lists the key; an unlisted key is refused with exit 1 and the reason', async () => {
    const { env } = testStack();
    const client: Client = env.client;
    const prefix = `signed-${randomUUID().slice(0, 8)}`;
    const taskQueue = `mlops-${prefix}`;
    const fake = new FakePipelineActivities();
    const worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: fake.activities,
    });
    await worker.runUntil(async () => {
      const run = `retrain/churn/${prefix}`;
      const handle = await client.workflow.start(retrainPipeline, {
        workflowId: run,
        taskQueue,
        args: [{ spec: signedSpec, trigger: 'manual', actor: 'ci', trainingTaskQueue: taskQueue }],
      });
      await awaitingApproval(handle);
      const cli = cliEnv(prefix, { MLOPS_ACTOR: 'alice' });

      const impostor = await runCli(['approve', run, '--reason', 'ship it', '--key', mallory.file], cli);
      assert.equal(impostor.code, 1, impostor.stderr);
      assert.match(
        impostor.stderr,
        new RegExp(`approve refused: signature by key ${escape(mallory.fingerprint)} which is not listed for alice`),
      );

      const approved = await runCli(['--json', 'approve', run, '--reason', 'looks good', '--key', alice.file], cli);
      assert.equal(approved.code, 0, approved.stderr);
      const body = JSON.parse(approved.stdout) as { decision: string; actor: string; signedBy?: string };
      assert.deepEqual([body.decision, body.actor, body.signedBy], ['approved', 'alice', alice.fingerprint]);
      assert.equal((await handle.result()).approval?.signedBy, alice.fingerprint);
      await recordHistory('retrain-approved-signed', run);
    });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

describe('mlops models alias under a registry that requires signed decisions', function () {
  this.timeout(60_000);

  it('refuses an unsigned or impostor alias move, and records the signer of a signed one in the audit', async () => {
    const root = fs.mkdtempSync(path.join(keys, 'store-'));
    const store = new FilesystemBlobStore(root);
    await store.put(
      APPROVERS_FILE_KEY,
      JSON.stringify({ approvers: [{ name: 'alice', key: alice.publicKey }], requireSigned: true }),
    );
    const registry = new ModelRegistry(store);
    await registry.registerModel({
      model: MODEL,
      artifactUri: 'file:///m',
      metrics: { auc: 0.9 },
      params: {},
      trainingSnapshot: { dataset: 'churn', id: 'a'.repeat(64) },
      codeVersion: 'c1',
      pipelineRun: 'retrain/churn/1',
      trigger: 'manual',
      status: 'approved',
    });
    const env = { MLOPS_STORE: `file://${root}`, MLOPS_HOME: path.join(root, 'home'), MLOPS_ACTOR: 'alice' };
    const alias = (...flags: string[]) =>
      runCli(['--json', 'models', 'alias', MODEL, 'champion', '1', '--reason', 'first champion', ...flags], env);

    const unsigned = await alias('--no-sign');
    assert.equal(unsigned.code, 1, unsigned.stderr);
    assert.match(
      unsigned.stderr,
      /alias refused: decision not signed: registry\/approvers.json requires signed decisions/,
    );
    const impostor = await alias('--key', mallory.file);
    assert.equal(impostor.code, 1, impostor.stderr);
    assert.match(impostor.stderr, /alias refused: signature by key .* which is not listed for alice/);
    assert.equal((await registry.listAudit(MODEL)).filter((e) => e.action === 'alias').length, 0, 'nothing moved');

    const signed = await alias('--key', alice.file);
    assert.equal(signed.code, 0, signed.stderr);
    const [move] = (await registry.listAudit(MODEL)).filter((e) => e.action === 'alias');
    assert.deepEqual([move?.actor, move?.to, move?.signedBy], ['alice', 1, alice.fingerprint]);
  });
});
