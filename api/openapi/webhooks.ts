import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { openOperation, problemResponses } from './common';

// The providers' webhooks (api/routes/twilio-webhooks.ts, api/routes/sendgrid-webhooks.ts). No
// API key: each request is signed by its provider. Their bodies are the providers' formats, read
// by the routes field by field; the schemas below name the fields the routes use and leave the
// rest open, as the providers add fields over time.

const FORM = 'application/x-www-form-urlencoded';
const TAG = ['Webhooks'];

const twilioSignature = z.object({
  'X-Twilio-Signature': z.string().meta({
    description:
      "Twilio's signature over `PUBLIC_BASE_URL` + path and the form parameters, with the account's auth token.",
  }),
});

const twilioProblems = problemResponses({
  400: 'A required parameter is missing or out of range.',
  403: 'Missing or invalid `X-Twilio-Signature`, or Twilio is not configured (no auth token to verify with).',
  413: true,
});

const inboundSmsForm = z
  .looseObject({
    MessageSid: z.string(),
    From: z.string().meta({ description: 'The sender, E.164.' }),
    To: z.string().meta({ description: "The practice's number (its `smsFrom`)." }),
    Body: z.string().optional(),
    MessagingServiceSid: z.string().optional(),
    NumMedia: z.string().optional().meta({ description: 'MMS: how many `MediaUrl<n>` follow (0–10).' }),
  })
  .meta({ description: "Twilio's inbound message parameters (any others are accepted and ignored)." });

const statusCallbackForm = z
  .looseObject({
    MessageSid: z.string(),
    MessageStatus: z.string().meta({ description: '`queued`, `sent`, `delivered`, `undelivered`, `failed`…' }),
    ErrorCode: z.string().optional(),
  })
  .meta({ description: "Twilio's status callback parameters (any others are accepted and ignored)." });

const sendGridEvents = z
  .array(
    z.looseObject({
      event: z
        .string()
        .meta({ description: '`processed`, `delivered`, `deferred`, `bounce`, `dropped`, `spamreport`…' }),
      timestamp: z.int().optional(),
      sg_message_id: z.string().optional(),
      message_id: z.string().optional().meta({ description: 'Our message id, sent with each email as a custom arg.' }),
      reason: z.string().optional(),
      response: z.string().optional(),
      type: z.string().optional(),
      bounce_classification: z.string().optional(),
    }),
  )
  .meta({ description: "A batch of SendGrid's events." });

export const webhookPaths: ZodOpenApiPathsObject = {
  '/webhooks/twilio/sms': {
    post: openOperation({
      tags: TAG,
      operationId: 'twilioInboundSms',
      summary: 'Twilio: an SMS came in',
      description:
        'Replies C/CONFIRM confirm, STOP… opt out, START… opt back in, HELP answers; anything else is kept for review. Answered once stored; a repeated delivery changes nothing.',
      requestParams: { header: twilioSignature },
      requestBody: { required: true, content: { [FORM]: { schema: inboundSmsForm } } },
      responses: {
        200: {
          description: 'TwiML: the answer Twilio texts back (an empty `<Response/>` for none).',
          content: { 'text/xml': { schema: z.string() } },
        },
        ...twilioProblems,
      },
    }),
  },
  '/webhooks/twilio/status': {
    post: openOperation({
      tags: TAG,
      operationId: 'twilioStatusCallback',
      summary: "Twilio: a message's delivery status changed",
      description: 'Statuses never move backwards. A callback about a message we do not know is acknowledged.',
      requestParams: { header: twilioSignature },
      requestBody: { required: true, content: { [FORM]: { schema: statusCallbackForm } } },
      responses: { 204: { description: 'Stored.' }, ...twilioProblems },
    }),
  },
  '/webhooks/sendgrid/events': {
    post: openOperation({
      tags: TAG,
      operationId: 'sendgridEvents',
      summary: 'SendGrid: signed event webhook',
      requestParams: {
        header: z.object({
          'X-Twilio-Email-Event-Webhook-Signature': z
            .string()
            .meta({ description: 'ECDSA P-256 signature (base64) over the timestamp followed by the raw body.' }),
          'X-Twilio-Email-Event-Webhook-Timestamp': z.string(),
        }),
      },
      requestBody: { required: true, content: { 'application/json': { schema: sendGridEvents } } },
      responses: {
        204: { description: 'Every event stored; a repeated batch changes nothing.' },
        ...problemResponses({
          400: 'The body is not a JSON array of event objects.',
          403: 'Missing or invalid signature, or `SENDGRID_WEBHOOK_PUBLIC_KEY` is unset.',
          413: true,
        }),
      },
    }),
  },
};
