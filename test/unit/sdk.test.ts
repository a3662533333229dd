/**
 * The pure parts of the pipeline blocks (workflows/sdk): the step table a run shows in the Temporal
 * UI, the gate block over the spec's evaluation section, and the monitor the blocks start by name.
 */
import assert from 'node:assert/strict';
import { failedGates, gate, renderDetails, type PipelineStatus } from '../../workflows/sdk';

const status = (extra: Partial<PipelineStatus> = {}): PipelineStatus => ({
  pipeline: 'churn',
  model: 'churn-model',
  stage: 'evaluate',
  trigger: 'manual',
  steps: [
    { name: 'snapshot', state: 'done', summary: 'abc123: 3 files' },
    { name: 'validate', state: 'skipped', summary: 'no expectations in the spec' },
    { name: 'evaluate', state: 'running', summary: 'auc 0.8 | 0.7\nvs champion' },
    { name: 'register', state: 'pending' },
  ],
  links: {},
  ...extra,
});

describe('pipeline blocks (workflows/sdk)', () => {
  it('renders the step table with a state icon per step, table-safe summaries and links', () => {
    const md = renderDetails(status({ links: { report: 's3://b/reports/r.html' } }));
    const lines = md.split('\n');
    assert.equal(lines[0], '**churn** → model **churn-model** · stage **evaluate** · trigger manual');
    assert.ok(lines.includes('| snapshot | ✓ done | abc123: 3 files |'), md);
    assert.ok(lines.includes('| validate | – skipped | no expectations in the spec |'), md);
    assert.ok(lines.includes('| evaluate | ▶ running | auc 0.8 \\| 0.7 vs champion |'), md);
    assert.ok(lines.includes('| register | · pending |  |'), md);
    assert.ok(lines.includes('- report: s3://b/reports/r.html'), md);
    assert.ok(!md.includes('rejected by'), md);
  });

  it('lists the failing gates under the table when the gates rejected the candidate', () => {
    const section = {
      gates: { thresholds: { auc: { min: 0.75 } }, minImprovement: 0.01 },
      primaryMetric: 'auc',
      direction: 'maximize' as const,
    };
    const decision = gate(section, { summary: { metrics: { auc: 0.7 } } }, { summary: { metrics: { auc: 0.72 } } });
    assert.equal(decision.passed, false);
    assert.equal(failedGates(decision), 'thresholds.auc.min, minImprovement');
    const md = renderDetails(status({ decision }));
    assert.match(md, /\*\*rejected by:\*\*\n- thresholds\.auc\.min: auc 0\.7 < 0\.75/);
  });

  it('passes the gates of a first version (no champion) that meets the thresholds', () => {
    const decision = gate(
      { gates: { thresholds: { rmse: { max: 2 } } }, primaryMetric: 'rmse', direction: 'minimize' },
      { summary: { metrics: { rmse: 1.5 } } },
    );
    assert.equal(decision.passed, true);
    assert.equal(failedGates(decision), '');
  });
});
