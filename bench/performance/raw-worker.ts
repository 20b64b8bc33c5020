import { NativeConnection, Worker } from '@temporalio/worker';
import { createTwilioGateway } from '../../gateways/twilio';
import { RAW_SMS_FROM, RAW_TASK_QUEUE, type RawActivities } from './raw-workflows';

// The raw baseline's worker, a process of its own like the product's: task queue `bench-raw`,
// its workflows bundled from raw-workflows.ts alone. Its one activity sends through the
// product's Twilio gateway (the real SDK) to the same fake Twilio, so lateness at the gateway
// compares like with like.

async function main(): Promise<void> {
  const env = (name: string): string => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is required`);
    return value;
  };
  const gateway = createTwilioGateway({
    accountSid: env('TWILIO_ACCOUNT_SID'),
    authToken: env('TWILIO_AUTH_TOKEN'),
    apiBaseUrl: env('TWILIO_API_BASE_URL'),
  });
  const activities: RawActivities = {
    async sendRawSms(to) {
      await gateway.send({ to, from: RAW_SMS_FROM, body: 'Reminder: your appointment is soon. Reply C to confirm.' });
    },
  };
  const connection = await NativeConnection.connect({ address: env('TEMPORAL_ADDRESS') });
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue: RAW_TASK_QUEUE,
    workflowsPath: require.resolve('./raw-workflows'),
    activities,
  });
  const stop = (): void => worker.shutdown();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  console.log('raw worker started');
  await worker.run();
  await connection.close();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
