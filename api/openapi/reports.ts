import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { jsonContent, v1Operation } from './common';

// The front desk's reports (api/routes/reports.ts).

const TAG = ['Reports'];

const remindersQuery = z.strictObject({
  from: z.string().meta({ description: "First day (YYYY-MM-DD), in the practice's time zone." }),
  to: z.string().meta({ description: 'Last day (YYYY-MM-DD), included.' }),
});

const reminderReport = z
  .looseObject({
    days: z.array(
      z.looseObject({
        date: z.string(),
        channel: z.enum(['sms', 'email']),
        sent: z.int(),
        delivered: z.int(),
        failed: z.int(),
        fallbacks: z.int(),
        confirmations: z.int(),
        confirmationRate: z.number().nullable(),
        optOuts: z.int(),
        segments: z.int(),
      }),
    ),
  })
  .meta({ id: 'ReminderReport', description: 'Per day and channel.' });

const attentionReport = z
  .looseObject({
    unconfirmed: z.array(z.looseObject({ appointmentId: z.string() })),
    undelivered: z.array(z.looseObject({ appointmentId: z.string() })),
    repliesToReview: z.array(z.looseObject({ id: z.string() })),
  })
  .meta({ id: 'AttentionReport', description: 'What the front desk should act on now.' });

export const reportPaths: ZodOpenApiPathsObject = {
  '/v1/reports/reminders': {
    get: v1Operation({
      tags: TAG,
      operationId: 'reminderReport',
      summary: 'Reminders sent, delivered, failed, confirmations and opt-outs per day and channel',
      requestParams: { query: remindersQuery },
      responses: { 200: { description: 'The report.', content: jsonContent(reminderReport) } },
      problems: { 422: 'A missing or invalid day, or `from` after `to`.' },
    }),
  },
  '/v1/reports/attention': {
    get: v1Operation({
      tags: TAG,
      operationId: 'attentionReport',
      summary: 'Appointments to act on: unconfirmed within 24 h, no reminder delivered, replies to review',
      responses: { 200: { description: 'The lists.', content: jsonContent(attentionReport) } },
    }),
  },
};
