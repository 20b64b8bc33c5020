import type { Client } from '@temporalio/client';
import type { PrismaClient } from '../db/client';
import type { Logger } from '../lib/logger';
import { runPeriodically } from '../lib/periodic';
import { repairOrphanedAppointments } from './appointment-workflows';
import { repairUnstartedCustomMessages } from './custom-messages';
import { startReplyOutbox } from './reply-outbox';

export interface HousekeepingOptions {
  prisma: PrismaClient;
  temporal: Client;
  taskQueue: string;
  log: Logger;
  /** How often rows left without a workflow are looked for. */
  repairEveryMs?: number;
  /** A row younger than this may belong to a create still under way. */
  orphanAgeMs?: number;
}

/**
 * What every worker process runs beside its Temporal worker, so that an answered request
 * always has its effect: the reply outbox (signals a webhook could not deliver) and the
 * repair of appointments and custom messages whose workflow start was never confirmed. Both are safe with many
 * workers at once. Returns a function that stops them and waits for a round under way.
 */
export function startHousekeeping(options: HousekeepingOptions): () => Promise<void> {
  const { prisma, temporal, taskQueue, log, repairEveryMs = 30_000, orphanAgeMs = 30_000 } = options;
  const stopOutbox = startReplyOutbox({ prisma, temporal, log });
  const repairs = [
    { rows: 'appointments', row: 'an appointment', repair: repairOrphanedAppointments },
    { rows: 'custom messages', row: 'a custom message', repair: repairUnstartedCustomMessages },
  ];
  const stopRepair = runPeriodically(async () => {
    for (const { rows, row, repair } of repairs) {
      try {
        const { repaired, failed } = await repair({ prisma, temporal, taskQueue, olderThanMs: orphanAgeMs });
        if (repaired.length > 0)
          log.info({ workflowIds: repaired }, `started the workflows of ${rows} left without one`);
        for (const { workflowId, error } of failed) {
          log.warn({ workflowId, err: error }, `could not start the workflow of ${row} left without one; trying again`);
        }
      } catch (err) {
        log.error({ err }, `repair round of ${rows} failed; trying again`);
      }
    }
    return repairEveryMs;
  });

  return async () => {
    await Promise.all([stopRepair(), stopOutbox()]);
  };
}
