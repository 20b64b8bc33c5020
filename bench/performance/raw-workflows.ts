import { condition, defineQuery, defineSignal, proxyActivities, setHandler, sleep } from '@temporalio/workflow';

// The raw Temporal baseline the product is measured against: the least a reminder can be on
// Temporal. No database, no state machine: sleep to the instant, then one activity that sends
// the SMS through the same gateway code and SDK as the product.

export const RAW_TASK_QUEUE = 'bench-raw';
export const RAW_SMS_FROM = '+15005550009';

export interface RawActivities {
  sendRawSms(to: string): Promise<void>;
}

const { sendRawSms } = proxyActivities<RawActivities>({ startToCloseTimeout: '30 seconds' });

export const rawReplySignal = defineSignal('reply');
export const rawRepliedQuery = defineQuery<boolean>('replied');

/** Sleeps until `dueAtMs` (epoch ms), then sends one SMS to `to`; then waits a while for a reply signal. */
export async function rawReminderWorkflow(dueAtMs: number, to: string): Promise<void> {
  let replied = false;
  setHandler(rawReplySignal, () => {
    replied = true;
  });
  setHandler(rawRepliedQuery, () => replied);
  await sleep(Math.max(0, dueAtMs - Date.now()));
  await sendRawSms(to);
  await condition(() => replied, '10 minutes');
}
