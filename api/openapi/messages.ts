import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { customMessageSchema, resendMessageSchema } from '../../domain/custom-message';
import {
  appointmentMessagesQuerySchema,
  contactPathSchema,
  messageLogQuerySchema,
} from '../../domain/message-log-query';
import type { ContactJson } from '../../services/contacts';
import type { MessageJson, MessagePage } from '../../services/message-log';
import { appointmentPath } from './appointments';
import { documents, jsonContent, v1Operation } from './common';

// The message log, custom messages and contacts (api/routes/message-log.ts,
// api/routes/custom-messages.ts).

export const messageSchema = documents<MessageJson>()(
  z
    .object({
      id: z.string(),
      appointmentId: z
        .string()
        .nullable()
        .meta({ description: "The practice system's id of its appointment; null when it belongs to none." }),
      direction: z.string().meta({ description: '`outbound` or `inbound`.' }),
      channel: z.string().meta({ description: '`sms` or `email`.' }),
      purpose: z
        .string()
        .nullable()
        .meta({ description: 'Why it was sent: `reminder`, `fallback`, `notice`, `reply`, `custom`…' }),
      recipient: z.string().nullable().meta({ description: '`client` or `practitioner`.' }),
      reminderId: z.string().nullable(),
      to: z.string(),
      from: z.string(),
      subject: z.string().nullable(),
      body: z.string(),
      segments: z.int().nullable().meta({ description: 'SMS only: the parts it is billed as.' }),
      encoding: z.string().nullable().meta({ description: 'SMS only: `GSM-7` or `UCS-2`.' }),
      status: z.string().meta({ description: 'The latest status: `scheduled`, `sent`, `delivered`, `failed`…' }),
      statusHistory: z
        .array(z.object({ status: z.string(), at: z.string(), errorCode: z.string().nullable() }))
        .meta({ description: 'Every status change, oldest first, with when the provider says it happened.' }),
      providerId: z.string().nullable().meta({ description: 'Twilio message SID or SendGrid message id.' }),
      errorCode: z.string().nullable(),
      errorExplanation: z.string().nullable().meta({ description: 'What went wrong, worded for practice staff.' }),
      keyword: z.string().nullable().meta({ description: 'Inbound: the keyword it was read as (`CONFIRM`, `STOP`…).' }),
      needsReview: z.boolean().meta({ description: 'Inbound text staff should read: it was not a keyword.' }),
      mediaUrls: z.array(z.string()),
      createdAt: z.string(),
      sentAt: z.string().nullable(),
      updatedAt: z.string(),
    })
    .meta({ id: 'Message' }),
);

const messagePageSchema = documents<MessagePage>()(
  z
    .object({
      messages: z.array(messageSchema).meta({ description: 'Newest first.' }),
      nextCursor: z
        .string()
        .nullable()
        .meta({ description: 'Pass it back as `cursor`, with the same filters, for the next page; null on the last.' }),
    })
    .meta({ id: 'MessagePage' }),
);

const contactSchema = documents<ContactJson>()(
  z
    .object({
      phone: z.string(),
      name: z.string().nullable(),
      email: z.string().nullable(),
      smsConsent: z.boolean(),
      emailConsent: z.boolean(),
      optedOut: z.boolean(),
      optOut: z.object({ since: z.string(), keyword: z.string() }).nullable(),
      optOutHistory: z.array(
        z.object({
          optedOutAt: z.string(),
          keyword: z.string(),
          optedInAt: z.string().nullable(),
          optInKeyword: z.string().nullable(),
        }),
      ),
      lastInbound: z
        .object({ id: z.string(), body: z.string(), at: z.string(), keyword: z.string().nullable() })
        .nullable(),
      textStartTo: z
        .string()
        .nullable()
        .meta({ description: 'The practice number the client must text START to; null when not known.' }),
    })
    .meta({ id: 'Contact' }),
);

const messagePath = z.object({ messageId: z.string().meta({ description: 'The message id (a UUID).' }) });
const message = (description: string) => ({ description, content: jsonContent(messageSchema) });
const accepted = {
  ...message('Accepted: the message as the log shows it (`status: "scheduled"` until it goes).'),
  headers: z.object({ Location: z.string().meta({ description: 'The URL of the message.' }) }),
};
const TAG = ['Messages'];
const noMessage = 'No message with this id in the practice of the key.';

export const messagePaths: ZodOpenApiPathsObject = {
  '/v1/messages': {
    post: v1Operation({
      tags: TAG,
      operationId: 'sendMessage',
      summary: 'Send a custom message, now or at `sendAt`',
      description:
        'Durable and exactly-once like reminders; opt-outs always apply; a scheduled one respects quiet hours.',
      requestBody: { required: true, content: jsonContent(customMessageSchema) },
      responses: { 202: accepted },
      problems: {
        404: 'No appointment with the given `appointmentId`.',
        422: 'An address that does not fit the channel, a `sendAt` that cannot be honoured, no consent…',
        503: true,
      },
    }),
    get: v1Operation({
      tags: TAG,
      operationId: 'listMessages',
      summary: "The practice's message log, newest first, cursor-paginated",
      requestParams: { query: messageLogQuerySchema },
      responses: { 200: { description: 'One page.', content: jsonContent(messagePageSchema) } },
      problems: { 422: 'A filter value, or a cursor issued for other filters.' },
    }),
  },
  '/v1/messages/{messageId}': {
    get: v1Operation({
      tags: TAG,
      operationId: 'getMessage',
      summary: 'One message of the log',
      requestParams: { path: messagePath },
      responses: { 200: message('The message.') },
      problems: { 404: noMessage },
    }),
    delete: v1Operation({
      tags: TAG,
      operationId: 'cancelMessage',
      summary: 'Cancel a scheduled custom message (idempotent)',
      requestParams: { path: messagePath },
      responses: { 200: message('The message, `cancelled`.') },
      problems: { 404: noMessage, 409: 'It is being sent or has been sent, or it is not a custom message.', 503: true },
    }),
  },
  '/v1/messages/{messageId}/resend': {
    post: v1Operation({
      tags: TAG,
      operationId: 'resendMessage',
      summary: 'Send the same text again, optionally to a new address',
      requestParams: { path: messagePath },
      requestBody: { content: jsonContent(resendMessageSchema) },
      responses: { 202: accepted },
      problems: { 404: noMessage, 409: 'The message cannot be resent (an inbound one).', 422: true, 503: true },
    }),
  },
  '/v1/appointments/{appointmentId}/messages': {
    get: v1Operation({
      tags: ['Appointments', ...TAG],
      operationId: 'listAppointmentMessages',
      summary: 'Every message sent and received for one appointment',
      requestParams: { path: appointmentPath, query: appointmentMessagesQuerySchema },
      responses: { 200: { description: 'One page, newest first.', content: jsonContent(messagePageSchema) } },
      problems: { 404: 'No appointment with this id in the practice of the key.', 422: true },
    }),
  },
  '/v1/contacts/{phone}': {
    get: v1Operation({
      tags: ['Contacts'],
      operationId: 'getContact',
      summary: 'Opt-out state, consents and the last inbound message of a number',
      requestParams: { path: contactPathSchema },
      responses: { 200: { description: 'The contact.', content: jsonContent(contactSchema) } },
      problems: { 404: 'The practice does not know this number.', 422: 'Not a phone number.' },
    }),
  },
};
