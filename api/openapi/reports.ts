import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { attentionQuerySchema, reminderReportQuerySchema, type ReminderReport } from '../../domain/reports';
import type { AttentionReport } from '../../services/reports';
import { appointmentStatus } from './appointments';
import { documents, jsonContent, v1Operation } from './common';

// The front desk's reports and marking a reply reviewed (api/routes/reports.ts).

const TAG = ['Reports'];

const channelFigures = z.object({
  sent: z.int().meta({ description: 'Reminders the provider took.' }),
  delivered: z.int().meta({ description: 'Reported delivered (read and spam-reported included).' }),
  failed: z.int().meta({ description: 'Refused when sent, or reported undelivered or bounced.' }),
  fallbacks: z.int().meta({ description: 'Emails sent because a text failed (also in email `sent`).' }),
  segments: z.int().nullable().meta({ description: 'SMS segments charged that day; null for email.' }),
  remindedAppointments: z.int(),
  confirmedAppointments: z.int(),
  confirmationRate: z
    .number()
    .nullable()
    .meta({ description: 'Confirmed ÷ reminded appointments; null when nothing went out.' }),
});

const dayFigures = {
  sms: channelFigures,
  email: channelFigures,
  remindedAppointments: z.int().meta({ description: 'Both channels: an appointment reminded twice counts once.' }),
  confirmedAppointments: z.int(),
  confirmationRate: z.number().nullable(),
  confirmations: z
    .object({ sms: z.int(), email: z.int(), staff: z.int(), total: z.int() })
    .meta({ description: 'Confirmations by channel, counted on the day they happened.' }),
  optOuts: z.int().meta({ description: 'Numbers that texted STOP.' }),
};

const reminderReportSchema = documents<ReminderReport>()(
  z
    .object({
      from: z.string(),
      to: z.string(),
      timeZone: z.string().meta({ description: "The practice's time zone, in which days are counted." }),
      days: z.array(z.object({ date: z.string(), ...dayFigures })),
      totals: z.object(dayFigures),
    })
    .meta({ id: 'ReminderReport', description: "Per local day (the practice's time zone) and channel." }),
);

const attentionReportSchema = documents<AttentionReport>()(
  z
    .object({
      generatedAt: z.string(),
      items: z.array(
        z.object({
          appointment: z
            .object({
              appointmentId: z.string(),
              startsAt: z.string(),
              startsAtLocal: z
                .string()
                .meta({ description: "The start on the appointment's own clock, with its offset." }),
              timeZone: z.string(),
              status: appointmentStatus,
              client: z.object({
                name: z.string().nullable(),
                phone: z.string().nullable(),
                email: z.string().nullable(),
              }),
            })
            .nullable()
            .meta({ description: 'Null for a reply that matched no appointment.' }),
          reasons: z.array(z.enum(['unconfirmed_within_24h', 'no_reminder_reached', 'reply_needs_review'])),
          replies: z.array(
            z.object({
              id: z.string(),
              from: z.string(),
              body: z.string(),
              mediaUrls: z.array(z.string()),
              receivedAt: z.string(),
            }),
          ),
        }),
      ),
      truncated: z.boolean().meta({ description: 'More items need attention than one list shows (500 of each kind).' }),
    })
    .meta({ id: 'AttentionReport', description: 'What the front desk should act on now, most urgent first.' }),
);

const reviewedSchema = z.object({ id: z.string(), needsReview: z.literal(false), reviewedAt: z.string() });

export const reportPaths: ZodOpenApiPathsObject = {
  '/v1/reports/reminders': {
    get: v1Operation({
      tags: TAG,
      operationId: 'reminderReport',
      summary: 'Reminders sent, delivered, failed, fallbacks, confirmations and opt-outs per day and channel',
      requestParams: { query: reminderReportQuerySchema },
      responses: { 200: { description: 'The report.', content: jsonContent(reminderReportSchema) } },
      problems: { 422: 'An invalid day, `from` after `to`, or a range over 366 days.' },
    }),
  },
  '/v1/reports/attention': {
    get: v1Operation({
      tags: TAG,
      operationId: 'attentionReport',
      summary: 'Appointments to act on: unconfirmed within 24 h, no reminder reached the client, replies to review',
      requestParams: { query: attentionQuerySchema },
      responses: { 200: { description: 'The list.', content: jsonContent(attentionReportSchema) } },
    }),
  },
  '/v1/messages/{messageId}/reviewed': {
    post: v1Operation({
      tags: TAG,
      operationId: 'markReplyReviewed',
      summary: 'Mark a received reply handled: it leaves the attention list and `needsReview`',
      requestParams: { path: z.object({ messageId: z.string() }) },
      responses: { 200: { description: 'Marked (again, it changes nothing).', content: jsonContent(reviewedSchema) } },
      problems: { 404: 'No such message in this practice.', 409: 'The message is not a received reply.' },
    }),
  },
};
