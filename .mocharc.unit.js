// The unit lane, `npm run test:unit`: every test file that needs no server (no Temporal dev
// server, no MinIO, no Ray, no model server, no browser), in one mocha run of under a minute.
// `npm test` runs these too, with everything else.
//
// A file belongs here when it passes with `MLOPS_TEST_LANE=unit npx mocha <file>`. In this lane
// test/hooks.ts starts no shared stack and refuses anything that would start a server
// (test/support/unit-lane.ts), so a listed file that needs one fails here; test/unit/unit-lane.test.ts
// checks that every entry names test files.
process.env.MLOPS_TEST_LANE = 'unit';

module.exports = {
  ...require('./.mocharc.json'),
  spec: [
    // whole folders: pure logic, and files checked without running anything
    'test/unit/**/*.test.ts',
    'test/monitoring/**/*.test.ts',
    'test/infra/**/*.test.ts',
    // in-memory stores, fakes and local files
    'test/abtest/outcomes.test.ts',
    'test/code/code-package.test.ts',
    'test/code/spec-packages.test.ts',
    'test/bad-input/properties.test.ts',
    'test/cli/report.test.ts',
    'test/cli/report-server.test.ts',
    'test/cli/upload-refusals.test.ts',
    'test/cli/vocabulary.test.ts',
    'test/data/canonical.test.ts',
    'test/data/local-source.test.ts',
    'test/data/parquet.test.ts',
    'test/data/profile.test.ts',
    'test/gateway/admin-loopback.test.ts',
    'test/gateway/replica-metrics.test.ts',
    'test/gateway/inference.test.ts',
    'test/gateway/capture-batches.test.ts',
    'test/notifications/notify.test.ts',
    'test/security/redaction.test.ts',
    'test/security/webhooks.test.ts',
    'test/registry/activities.test.ts',
    'test/reports/evaluation-report.test.ts',
    'test/reports/page.test.ts',
    'test/reports/sweep-report.test.ts',
    'test/security/dos-inputs.test.ts',
    'test/security/prototype-keys.test.ts',
    'test/security/source-roots.test.ts',
    'test/security/decision-signatures.test.ts',
    'test/serving/serving-unit.test.ts',
    'test/serving/kserve-settings.test.ts',
    'test/storage/filesystem.test.ts',
    'test/storage/filesystem-batch.test.ts',
    'test/tracking/activities.test.ts',
    'test/tracking/run-keys.test.ts',
    'test/training/code-package-job.test.ts',
    'test/training/local-process-recovery.test.ts',
    'test/training/mlops-job.test.ts',
    'test/training/named-inputs.test.ts',
    'test/training/ray-log.test.ts',
    'test/training/routing.test.ts',
    // the workflow bundle and the replay of recorded histories (no server: the SDK replays in-process)
    'test/workflows/bundle.test.ts',
    'test/replay/replay.test.ts',
    // the CLI and the examples as child processes that start no server
    'test/cli/pipeline.test.ts',
    'test/cli/command-table.test.ts',
    'test/cli/compiled-cli.test.ts',
    'test/cli/completion.test.ts',
    'test/cli/global-options.test.ts',
    'test/cli/dev-status-watch.test.ts',
    'test/evaluation/code-version.test.ts',
    'test/evaluation/evaluation-file.test.ts',
    'test/examples/churn.test.ts',
    'test/examples/forecast-scripts.test.ts',
    'test/examples/ci.test.ts',
  ],
};
