import { createHmac, timingSafeEqual } from 'node:crypto';
import { startsInFuture } from './appointment-time';
import type { AppointmentStatus } from './appointment';

// The token of an email's confirm link: `<payload>.<signature>`, both base64url. The payload
// is `[practiceId, appointmentId, exp]` (exp in Unix seconds, the appointment's start), so a
// link names the appointment and nothing personal, and dies when the appointment starts. The
// signature is HMAC-SHA256 with LINK_SIGNING_SECRET over a purpose label and the payload, so
// a signature made for anything else never passes as a confirm link.

const PURPOSE = 'confirm.v1.';
const MIN_SECRET_LENGTH = 32;
/** Longer than any token we sign (ids are bounded by the request schema); anything bigger is not one. */
const MAX_TOKEN_LENGTH = 2_048;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export interface ConfirmTarget {
  practiceId: string;
  appointmentId: string;
  /** ISO 8601: the token expires at this instant. */
  startsAt: string;
}

export type ConfirmTokenCheck =
  | { status: 'ok'; practiceId: string; appointmentId: string; expiresAt: Date }
  | { status: 'invalid' }
  | { status: 'expired'; expiresAt: Date };

function signature(secret: string, payload: string): string {
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new RangeError(`The link signing secret must be at least ${MIN_SECRET_LENGTH} characters.`);
  }
  return createHmac('sha256', secret)
    .update(PURPOSE + payload)
    .digest('base64url');
}

export function signConfirmToken(secret: string, target: ConfirmTarget): string {
  // Rounded down: a start with milliseconds still expires no later than the start.
  const exp = Math.floor(Date.parse(target.startsAt) / 1000);
  if (!Number.isFinite(exp)) throw new RangeError(`Not a start time: ${target.startsAt}`);
  const payload = Buffer.from(JSON.stringify([target.practiceId, target.appointmentId, exp])).toString('base64url');
  return `${payload}.${signature(secret, payload)}`;
}

/** Never throws on what a visitor sends: anything but a whole token of ours is `invalid`. */
export function verifyConfirmToken(secret: string, token: string, now: Date): ConfirmTokenCheck {
  if (token.length > MAX_TOKEN_LENGTH) return { status: 'invalid' };
  const parts = token.split('.');
  if (parts.length !== 2 || !parts.every((part) => BASE64URL.test(part))) return { status: 'invalid' };
  const [payload, given] = parts;
  // Compared as the text we would have written, so no other spelling of the same bytes passes either.
  const expected = Buffer.from(signature(secret, payload));
  const received = Buffer.from(given);
  if (received.length !== expected.length || !timingSafeEqual(received, expected)) return { status: 'invalid' };

  const fields = parsePayload(payload);
  if (!fields) return { status: 'invalid' };
  const [practiceId, appointmentId, exp] = fields;
  const expiresAt = new Date(exp * 1000);
  if (now.getTime() >= expiresAt.getTime()) return { status: 'expired', expiresAt };
  return { status: 'ok', practiceId, appointmentId, expiresAt };
}

function parsePayload(payload: string): [string, string, number] | null {
  let fields: unknown;
  try {
    fields = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(fields) || fields.length !== 3) return null;
  const [practiceId, appointmentId, exp] = fields as unknown[];
  if (typeof practiceId !== 'string' || practiceId === '') return null;
  if (typeof appointmentId !== 'string' || appointmentId === '') return null;
  if (typeof exp !== 'number' || !Number.isSafeInteger(exp)) return null;
  return [practiceId, appointmentId, exp];
}

/** The link an email reminder carries: `PUBLIC_BASE_URL/confirm/<token>`. */
export function confirmLinkUrl(link: ConfirmTarget & { publicBaseUrl: string; secret: string }): string {
  const { publicBaseUrl, secret, ...target } = link;
  return `${publicBaseUrl.replace(/\/+$/, '')}/confirm/${signConfirmToken(secret, target)}`;
}

/**
 * What a valid link leads to for the appointment as it stands now. A cancellation is told as
 * such even after the start; once the start has passed nothing else can change, confirmed or not.
 */
export type ConfirmLinkStanding = 'confirmable' | 'confirmed' | 'cancelled' | 'over';

export function confirmLinkStanding(
  appointment: { status: AppointmentStatus; startsAt: string },
  now: Date,
): ConfirmLinkStanding {
  if (appointment.status === 'cancelled') return 'cancelled';
  if (appointment.status === 'unconfirmed' || !startsInFuture(appointment.startsAt, now)) return 'over';
  if (appointment.status === 'confirmed') return 'confirmed';
  return 'confirmable';
}
