import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import type { AppointmentLogEntry } from '../../domain/appointment-log';
import {
  cancelAppointmentSchema,
  confirmAppointmentSchema,
  createAppointmentSchema,
  remindAppointmentSchema,
  rescheduleAppointmentSchema,
} from '../../domain/appointment-request';
import type { AppointmentViewWithLink } from '../../services/appointments';
import { documents, jsonContent, v1Operation } from './common';

// The appointment operations (api/routes/appointments.ts): request bodies are the routes' own
// schemas, responses the appointment view and log as the services return them.

const channel = z.enum(['sms', 'email']);
const recipientRole = z.enum(['client', 'practitioner']);
const recipients = z.enum(['client', 'practitioner', 'both']);

const appointmentStatus = z
  .enum(['scheduled', 'awaiting_confirmation', 'confirmed', 'cancelled', 'opted_out', 'unconfirmed', 'failed'])
  .meta({
    id: 'AppointmentStatus',
    description:
      '`scheduled` (nothing sent yet), `awaiting_confirmation`, `confirmed`, `cancelled`, `opted_out` (the client sent STOP), `unconfirmed` (started, never confirmed), `failed` (no reminder could be delivered on any channel).',
  });

const reminderReason = z
  .enum([
    'no_consent',
    'no_contact',
    'opted_out',
    'confirmed',
    'disabled',
    'past_due',
    'too_late',
    'channel_unavailable',
    'rescheduled',
    'appointment_cancelled',
    'invalid_number',
    'not_mobile',
    'unsubscribed',
    'rejected',
    'gateway_unavailable',
    'quiet_hours_passed',
    'credit_exhausted',
    'undelivered',
    'outcome_unknown',
  ])
  .meta({ id: 'ReminderReason', description: 'Why a reminder was skipped, cancelled or failed.' });

const reminderSchema = z
  .object({
    id: z.string().meta({ examples: ['r1'] }),
    channel: channel.meta({ description: 'The channel it goes (or went) out on; `email` after an SMS fallback.' }),
    recipient: recipientRole,
    before: z.string().meta({ description: 'The rule it came from: an ISO 8601 duration before the start.' }),
    sendAt: z.string().meta({ description: 'When it goes out, after quiet hours moved it (ISO 8601).' }),
    state: z.enum(['pending', 'sent', 'delivered', 'failed', 'skipped', 'cancelled']),
    messageId: z.string().nullable().meta({ description: 'Its message in the message log, once sent.' }),
    reason: reminderReason.nullable(),
    fallbackFrom: channel.nullable().meta({ description: 'The channel that failed before this one was used.' }),
    manual: z.literal(true).optional().meta({ description: 'Staff asked for it (`POST …/remind`).' }),
  })
  .meta({ id: 'Reminder' });

const clientSchema = z.object({
  name: z.string(),
  phone: z.string().optional(),
  email: z.string().optional(),
  smsConsent: z.boolean(),
  emailConsent: z.boolean(),
  locale: z.string().optional(),
});

export const appointmentViewSchema = documents<AppointmentViewWithLink>()(
  z
    .object({
      appointmentId: z.string().meta({ examples: ['A-1001'] }),
      status: appointmentStatus,
      startsAt: z.string().meta({ description: 'ISO 8601 with the offset of `timeZone`.' }),
      timeZone: z.string().meta({ examples: ['Europe/Rome'] }),
      location: z.string().nullable(),
      client: clientSchema,
      practitioner: z
        .object({ name: z.string(), phone: z.string().optional(), email: z.string().optional() })
        .nullable(),
      recipients,
      remindersEnabled: z.boolean(),
      confirmation: z
        .object({ at: z.string(), via: z.enum(['sms', 'email', 'staff']) })
        .nullable()
        .meta({ description: 'How and when it was confirmed: a text reply, the email confirm link, or staff.' }),
      cancellation: z.object({ at: z.string(), reason: z.string().nullable() }).nullable(),
      reminders: z.array(reminderSchema),
      workflowId: z.string().meta({ examples: ['appointment/demo/A-1001'] }),
      runId: z.string(),
      temporalUiUrl: z.string().nullable().meta({
        description: 'The workflow in the Temporal UI, when TEMPORAL_UI_URL is set and Temporal still keeps it.',
      }),
    })
    .meta({ id: 'AppointmentView', description: 'Where the appointment stands: the workflow answers it.' }),
);

const logEvent = z.enum([
  'created',
  'reminder_planned',
  'manual_reminder_requested',
  'reminder_skipped',
  'reminder_failed',
  'confirmed',
  'opted_out',
  'opted_in',
  'rescheduled',
  'contact_changed',
  'cancelled',
  'ended',
  'reminder_sent',
  'fallback_sent',
  'notice_sent',
  'reminder_delivered',
  'reply_received',
  'reply_sent',
  'message_scheduled',
  'message_sent',
  'message_cancelled',
  'message_not_sent',
  'message_delivered',
  'message_failed',
]);

export const appointmentLogEntrySchema = documents<AppointmentLogEntry>()(
  z
    .object({
      at: z.string(),
      event: logEvent,
      actor: z.enum(['practice', 'staff', 'client', 'system', 'practitioner']),
      detail: z.string().meta({ examples: ['Sent text reminder to client'] }),
      reminderId: z.string().nullable(),
      messageId: z.string().nullable(),
    })
    .meta({ id: 'AppointmentLogEntry' }),
);

const appointmentPath = z.object({
  appointmentId: z.string().meta({ description: "The practice system's id of the appointment.", examples: ['A-1001'] }),
});

const view = (description: string) => ({ description, content: jsonContent(appointmentViewSchema) });
const notFound = 'No appointment with this id in the practice of the key.';
const TAG = ['Appointments'];

export const appointmentPaths: ZodOpenApiPathsObject = {
  '/v1/appointments': {
    post: v1Operation({
      tags: TAG,
      operationId: 'createAppointment',
      summary: 'Create an appointment (one Temporal workflow)',
      description:
        "Plans its reminders (the request's or the practice policy's) and starts its workflow. Posting the same `appointmentId` with the same body again is a safe retry (200, the existing view).",
      requestBody: { required: true, content: jsonContent(createAppointmentSchema) },
      responses: {
        201: {
          ...view('Created.'),
          headers: z.object({ Location: z.string().meta({ description: 'The URL of the appointment.' }) }),
        },
        200: view('A retry of an earlier create with the same body: the existing appointment.'),
      },
      problems: {
        409: 'The `appointmentId` exists with a different body (use PATCH to change it).',
        422: 'A start in the past, an invalid phone number or time zone, or a reminder plan with nothing sendable.',
        503: true,
      },
    }),
  },
  '/v1/appointments/{appointmentId}': {
    get: v1Operation({
      tags: TAG,
      operationId: 'getAppointment',
      summary: 'The appointment view',
      requestParams: { path: appointmentPath },
      responses: { 200: view('The appointment as its workflow sees it now.') },
      problems: { 404: notFound, 409: 'It has ended and its record is no longer kept.', 503: true },
    }),
    patch: v1Operation({
      tags: TAG,
      operationId: 'rescheduleAppointment',
      summary: 'Reschedule and/or change contact details',
      description:
        'The workflow re-plans its reminders (a Temporal Update); a new time resets the confirmation. The answer is the new view.',
      requestParams: { path: appointmentPath },
      requestBody: { required: true, content: jsonContent(rescheduleAppointmentSchema) },
      responses: { 200: view('The appointment after the change.') },
      problems: { 404: notFound, 409: 'The appointment is cancelled or over.', 422: true, 503: true },
    }),
  },
  '/v1/appointments/{appointmentId}/cancel': {
    post: v1Operation({
      tags: TAG,
      operationId: 'cancelAppointment',
      summary: 'Cancel (idempotent)',
      requestParams: { path: appointmentPath },
      requestBody: { content: jsonContent(cancelAppointmentSchema) },
      responses: { 200: view('The cancelled appointment; pending reminders are cancelled.') },
      problems: { 404: notFound, 409: 'The appointment is over.', 422: true, 503: true },
    }),
  },
  '/v1/appointments/{appointmentId}/confirm': {
    post: v1Operation({
      tags: TAG,
      operationId: 'confirmAppointment',
      summary: 'Staff confirmed it (by phone)',
      requestParams: { path: appointmentPath },
      requestBody: { content: jsonContent(confirmAppointmentSchema) },
      responses: { 200: view('The appointment, confirmed `via: "staff"`.') },
      problems: { 404: notFound, 409: 'The appointment is cancelled or over.', 503: true },
    }),
  },
  '/v1/appointments/{appointmentId}/remind': {
    post: v1Operation({
      tags: TAG,
      operationId: 'remindAppointment',
      summary: 'Send a reminder now (manual reminder)',
      description: 'It ignores `remindersEnabled` (staff chose to send it) but never an opt-out or a missing consent.',
      requestParams: { path: appointmentPath },
      requestBody: { content: jsonContent(remindAppointmentSchema) },
      responses: { 202: view('Accepted: the view shows the new reminder pending.') },
      problems: {
        404: notFound,
        409: 'The appointment is cancelled or over.',
        422: 'The channel cannot reach the client (no consent, opted out, no address).',
        503: true,
      },
    }),
  },
  '/v1/appointments/{appointmentId}/log': {
    get: v1Operation({
      tags: TAG,
      operationId: 'getAppointmentLog',
      summary: 'The appointment log, in words, in time order',
      requestParams: { path: appointmentPath },
      responses: {
        200: { description: 'Every event, oldest first.', content: jsonContent(z.array(appointmentLogEntrySchema)) },
      },
      problems: { 404: notFound, 503: true },
    }),
  },
};

export { appointmentPath, appointmentStatus };
