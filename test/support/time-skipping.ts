import { TestWorkflowEnvironment } from '@temporalio/testing';
import { addSearchAttributes } from '../../workflows/search-attribute-registration';
import { installTestTemporalRuntime } from './temporal-runtime';

/**
 * Temporal's time-skipping test server with the contract's search attributes, run from the
 * binary the global setup found (the SDK's own download fails on machines without internet).
 */
export async function startTimeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  installTestTemporalRuntime();
  const executable = process.env.TEST_TIME_SKIPPING_SERVER;
  const env = await TestWorkflowEnvironment.createTimeSkipping(
    executable ? { server: { executable: { type: 'existing-path', path: executable } } } : {},
  );
  await addSearchAttributes(env.connection, 'default');
  return env;
}
