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
import { defaultPayloadConverter } from '@temporalio/common';
import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { signDecision, sshKeygenSigner } from '../../client/api/signing';
import { pipelineSpecSchema, type PipelineSpecInput } from '../../common/schemas/spec';
import { approveUpdate, rejectUpdate, retrainPipeline, statusQuery } from '../../workflows/retrain-pipeline';
import { cliEnv, runCli } from '../support/cli';
import { FAKE_PIPELINE_ACTIVITY_NAMES, FakePipelineActivities } from '../support/fake-pipeline-activities';
import { recordHistory } from '../support/histories';
import { keyFolder, makeKey } from '../support/ssh-keys';
import { testStack, workflowBundle } from '../support/stack';
import { awaitingApproval, timeSkippingEnvironment } from '../support/time-skipping';

const MODEL = 'churn-model';
const keys = keyFolder();
const alice = makeKey(keys, 'alice');
const mallory = makeKey(keys, 'mallory');

function specWith(approval: PipelineSpecInput['approval']) {
  return pipelineSpecSchema.parse({
    name: 'churn',
    model: MODEL,
    dataset: { name: 'churn', source: '/data/churn' },
    training: { entrypoint: ['python', 'train.py'], codeDir: '/code' },
    evaluation: {
      entrypoint: ['python', 'evaluate.py'],
      codeDir: '/code',
      holdout: { file: 'holdout.csv' },
      primaryMetric: 'auc',
      gates: { thresholds: { auc: { min: 0.75 } } },
    },
    approval,
  });
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
const signedApproval = (run: string, file: string, comment: string, actor = 'alice') =>
  signDecision(sshKeygenSigner(file), { run, model: MODEL, version: 1, decision: 'approve', comment, actor });

describe('signed approvals of a pipeline run (time-skipping, real verifyDecision)', function () {
  this.timeout(30_000);
  const skipping = timeSkippingEnvironment(FAKE_PIPELINE_ACTIVITY_NAMES);

  const withRun = async (
    spec: ReturnType<typeof specWith>,
    fn: (h: WorkflowHandle, fake: FakePipelineActivities) => Promise<void>,
  ) => {
    const fake = new FakePipelineActivities();
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

      const impostor = await runCli(['approve', run, '--comment', 'ship it', '--key', mallory.file], cli);
      assert.equal(impostor.code, 1, impostor.stderr);
      assert.match(
        impostor.stderr,
        new RegExp(`approve refused: signature by key ${escape(mallory.fingerprint)} which is not listed for alice`),
      );

      const approved = await runCli(['--json', 'approve', run, '--comment', 'looks good', '--key', alice.file], cli);
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
