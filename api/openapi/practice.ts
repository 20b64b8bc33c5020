import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { practiceChangeSchema } from '../../domain/practice';
import type { PracticeView } from '../../services/practices';
import { documents, jsonContent, v1Operation } from './common';

// The key's own practice (api/routes/practice.ts).

export const practiceViewSchema = documents<PracticeView>()(
  z
    .object({
      id: z.string(),
      name: z.string(),
      smsFrom: z.string().meta({ description: "The practice's Twilio sender; the operator's to change." }),
      senderName: z.string().nullable(),
      emailFrom: z.string().nullable(),
      helpPhone: z.string().nullable(),
      timeZone: z.string(),
      locale: z.string(),
      reminderPolicy: z.array(
        z.object({
          before: z.string(),
          channel: z.enum(['sms', 'email']),
          recipients: z.enum(['client', 'practitioner', 'both']),
        }),
      ),
      quietHours: z
        .object({ start: z.string(), end: z.string() })
        .nullable()
        .meta({ description: 'Local "HH:MM" window in which nothing is sent; null: off.' }),
      templates: z.record(z.string(), z.string()).meta({
        description:
          "The practice's own texts by key (`<kind>.<variant>[.<language>]`); built-in texts apply to the rest.",
      }),
      smsMonthlyBudget: z.int().nullable().meta({ description: 'SMS segments a month; null: no limit.' }),
      optOutReplies: z.enum(['practice', 'twilio']),
      smsUsage: z
        .object({
          month: z.string().meta({ examples: ['2026-12'] }),
          segments: z.int(),
          budget: z.int().nullable(),
          remaining: z.int().nullable(),
        })
        .meta({ description: "This month's SMS segments, in the practice's time zone." }),
    })
    .meta({ id: 'Practice' }),
);

const practiceWrittenSchema = practiceViewSchema
  .extend({
    warnings: z
      .array(z.string())
      .meta({ description: 'Templates saved that deserve a look (longer than one segment, forcing UCS-2).' }),
  })
  .meta({ id: 'PracticeWritten' });

const TAG = ['Practice'];

export const practicePaths: ZodOpenApiPathsObject = {
  '/v1/practice': {
    get: v1Operation({
      tags: TAG,
      operationId: 'getPractice',
      summary: "The key's practice: every setting and this month's SMS usage",
      responses: { 200: { description: 'The practice.', content: jsonContent(practiceViewSchema) } },
    }),
    patch: v1Operation({
      tags: TAG,
      operationId: 'updatePractice',
      summary: 'Change settings (partial)',
      description:
        'Named settings are replaced (the reminder policy as a whole); `templates` keys are merged, `null` removes one. `smsFrom` is refused (the operator changes it).',
      requestBody: { required: true, content: jsonContent(practiceChangeSchema) },
      responses: {
        200: { description: 'The practice as it now is, with warnings.', content: jsonContent(practiceWrittenSchema) },
      },
      problems: { 422: true },
    }),
  },
};
