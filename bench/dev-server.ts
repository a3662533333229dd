/** The Temporal dev server a benchmark starts for itself: the project's binary, loopback, its search attributes. */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ML_SEARCH_ATTRIBUTES } from '../common/search-attributes';
import { requireTool } from '../lib/tools';

export function startBenchServer(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: requireTool('temporal') },
      ip: '127.0.0.1',
      searchAttributes: [...ML_SEARCH_ATTRIBUTES],
      extraArgs: ['--log-level', 'error'],
    },
  });
}
