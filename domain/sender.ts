import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { isMessagingServiceSid } from './fields';

// Who an SMS comes from. A practice with a sender name (≤ 11 characters, see the practice
// settings) is shown by that name instead of its number where the recipient's country lets
// carriers deliver alphanumeric senders; elsewhere the number is used. A name cannot be
// replied to, so the texts then tell the client which number to text C or STOP to.
//
// A practice that sends through a Twilio Messaging Service (smsFrom `MG…`) is left to the
// service: Twilio picks the alphanumeric sender configured on the service where the
// destination supports it, and a number from its pool elsewhere, so the name set here is not
// used for it (configure it on the service in the Twilio console).

/**
 * Countries whose carriers refuse or overwrite alphanumeric senders (ISO 3166-1 alpha-2).
 * Source: Twilio's "International support for Alphanumeric Sender ID"
 * (https://help.twilio.com/articles/223133767), countries marked "not supported" or
 * supported only on some networks, as tabulated from it in
 * github.com/eGullGolf/countries-alphanumeric-sms-sender-support; Twilio's error 21612 page
 * and carriers' docs confirm the US, Canada and Puerto Rico. The US territories that share the
 * North American numbering plan are added with them. Twilio revises that list: a country
 * missing here that refuses names makes Twilio refuse the send (21612, then the email
 * fallback), so when in doubt a country belongs here and gets the number.
 */
export const ALPHANUMERIC_SENDER_REFUSED: ReadonlySet<string> = new Set([
  // North America and the US territories.
  'US', 'CA', 'PR', 'VI', 'GU', 'AS', 'MP', 'UM',
  // Elsewhere, from Twilio's table.
  'AF', 'AR', 'AZ', 'BD', 'BE', 'BR', 'CD', 'CG', 'CL', 'CN', 'CO', 'CR', 'DO', 'DZ', 'EC', 'GF', 'GH', 'GT',
  'HN', 'HR', 'HU', 'IO', 'IQ', 'IR', 'JP', 'KE', 'KG', 'KR', 'KW', 'KY', 'KZ', 'LA', 'LK', 'MA', 'MC', 'ML',
  'MM', 'MX', 'MY', 'MZ', 'NA', 'NI', 'NP', 'NR', 'NZ', 'PA', 'PE', 'PK', 'PS', 'QA', 'RO', 'SV', 'SY', 'TN',
  'TR', 'TW', 'UY', 'VE', 'VN', 'ZA',
]); // prettier-ignore

/** Whether carriers in the country of this E.164 number deliver an alphanumeric sender; false when the country is unknown. */
export function acceptsAlphanumericSender(to: string): boolean {
  const country = parsePhoneNumberFromString(to)?.country;
  return country !== undefined && !ALPHANUMERIC_SENDER_REFUSED.has(country);
}

export interface SmsSender {
  /** Twilio's `From` (a number or a name) or the Messaging Service SID. */
  from: string;
  /** The number to text replies to, when `from` is a name nobody can reply to; else null. */
  replyNumber: string | null;
}

/** The sender of one SMS from a practice to one recipient. */
export function smsSender(practice: { smsFrom: string; senderName: string | null }, to: string): SmsSender {
  const { smsFrom, senderName } = practice;
  if (!senderName || isMessagingServiceSid(smsFrom) || !acceptsAlphanumericSender(to)) {
    return { from: smsFrom, replyNumber: null };
  }
  return { from: senderName, replyNumber: smsFrom };
}
