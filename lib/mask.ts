// Personal data shown to operators (logs, Temporal UI summaries) is masked here, in one place,
// so that a phone number, email address, name or message body never appears in full anywhere
// outside the database and the message itself. Pure: safe inside the workflow sandbox.

const MASK = '•';

/** "+393331234567" → "+39•••••••567": enough to tell two numbers apart, not to dial one. */
export function maskPhone(phone: string | null | undefined): string {
  if (!phone) return '';
  const digits = phone.replace(/\D/g, '');
  if (digits.length <= 5) return MASK.repeat(digits.length);
  const prefix = phone.trim().startsWith('+') ? `+${digits.slice(0, 2)}` : digits.slice(0, 2);
  return `${prefix}${MASK.repeat(digits.length - 5)}${digits.slice(-3)}`;
}

/** "giulia.rossi@example.com" → "g•••@e•••.com". */
export function maskEmail(email: string | null | undefined): string {
  if (!email) return '';
  const at = email.lastIndexOf('@');
  if (at < 1) return `${email.charAt(0)}${MASK.repeat(3)}`;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  const host = dot > 0 ? domain.slice(0, dot) : domain;
  const tld = dot > 0 ? domain.slice(dot) : '';
  return `${local.charAt(0)}${MASK.repeat(3)}@${host.charAt(0)}${MASK.repeat(3)}${tld}`;
}

/** "Giulia Maria Rossi" → "G. M. R.": staff recognise a client, a log reader learns nothing. */
export function initials(name: string | null | undefined): string {
  if (!name) return '';
  return name
    .trim()
    .split(/\s+/)
    .filter((part) => part.length > 0)
    .map((part) => `${(Array.from(part)[0] ?? '').toUpperCase()}.`)
    .join(' ');
}

/** A message body in a log: its length only (bodies carry names, dates and links). */
export function maskText(text: string | null | undefined): string {
  if (text === null || text === undefined) return '';
  return `[${Array.from(text).length} chars]`;
}

// A phone number in E.164 or written with separators ("+39 347 123 5555"), and an email address.
const PHONE_IN_TEXT = /\+\d[\d ().-]{5,20}\d/g;
const EMAIL_IN_TEXT = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;

/**
 * Free text that may quote a phone number or an email address (a provider's error message:
 * "The 'To' number +393331234567 is not a valid phone number"), with each one masked.
 */
export function maskContactsIn(text: string): string {
  return text.replace(EMAIL_IN_TEXT, (email) => maskEmail(email)).replace(PHONE_IN_TEXT, (phone) => maskPhone(phone));
}

/** A phone number or an email address, whichever it is (a message's `to` or `from`). */
export function maskAddress(address: string | null | undefined): string {
  if (!address) return '';
  return address.includes('@') ? maskEmail(address) : maskPhone(address);
}
