import { DateTime } from 'luxon';

// How messages and pages name an appointment's date and time: in the appointment's own time
// zone, in the reader's locale. The languages we write texts in (English, Italian) get
// explicit luxon patterns, so the same text comes out on every Node version (ICU changes
// punctuation and spaces between releases, e.g. the narrow no-break space before "AM" since
// ICU 72); only the order of day and month and the 12- or 24-hour clock come from the
// locale. Other languages get Intl's own short format for the locale, whatever its ICU says.

/** The locale staff-facing texts (the appointment log, the confirm pages) use. */
export const STAFF_LOCALE = 'en-GB';

const FALLBACK_LOCALE = 'en-GB';

export interface LocaleInfo {
  /** Canonical BCP 47 tag; a bare `en` reads as `en-GB` (the practices we serve are European). */
  tag: string;
  /** Primary language subtag, lower case: `it` for `it-IT`. */
  language: string;
}

/** The locale a tag names, or en-GB for a tag Intl cannot read (such tags are refused when saved; this only keeps a send going). */
export function localeInfo(locale: string | null | undefined): LocaleInfo {
  let tag: string;
  try {
    tag = Intl.getCanonicalLocales(locale ?? FALLBACK_LOCALE)[0] ?? FALLBACK_LOCALE;
  } catch {
    tag = FALLBACK_LOCALE;
  }
  if (tag === 'en') tag = FALLBACK_LOCALE;
  return { tag, language: tag.split('-')[0].toLowerCase() };
}

/** Languages formatted with fixed patterns; the word between date and time in each. */
const AT: Record<string, string> = { en: 'at', it: 'alle' };

function localTime(startsAt: string, timeZone: string, tag: string): DateTime {
  return DateTime.fromISO(startsAt, { zone: timeZone }).setLocale(tag);
}

/**
 * Keeps a pure function's answers, up to `limit` of them. Building Intl formatters is slow,
 * and a workflow names the same few instants at each of its steps (its progress in the
 * Temporal UI): a profile of a thousand reminders due at once found a seventh of the
 * workflows' CPU here.
 */
function remembered<A extends string[], T>(limit: number, compute: (...args: A) => T): (...args: A) => T {
  const answers = new Map<string, T>();
  return (...args) => {
    const key = args.join('\n');
    let answer = answers.get(key);
    if (answer === undefined) {
      if (answers.size >= limit) answers.clear();
      answer = compute(...args);
      answers.set(key, answer);
    }
    return answer;
  };
}

const usesTwelveHourClock = remembered(64, (tag: string) => {
  const cycle = new Intl.DateTimeFormat(tag, { hour: 'numeric' }).resolvedOptions().hourCycle;
  return cycle === 'h11' || cycle === 'h12';
});

const monthBeforeDay = remembered(64, (tag: string) => {
  const types = new Intl.DateTimeFormat(tag, { month: 'short', day: 'numeric' })
    .formatToParts(new Date(Date.UTC(2026, 11, 1)))
    .map((part) => part.type);
  return types.indexOf('month') < types.indexOf('day');
});

/** "Tue 1 Dec" (en-GB), "Tue, Dec 1" (en-US), "mar 1 dic" (it-IT). */
export function formatDate(startsAt: string, timeZone: string, locale: string | null | undefined): string {
  const { tag, language } = localeInfo(locale);
  const time = localTime(startsAt, timeZone, tag);
  if (!(language in AT)) return time.toLocaleString({ weekday: 'short', day: 'numeric', month: 'short' });
  return time.toFormat(monthBeforeDay(tag) ? 'ccc, LLL d' : 'ccc d LLL');
}

/** "09:30" (en-GB, it-IT), "9:30 AM" (en-US). */
export function formatTime(startsAt: string, timeZone: string, locale: string | null | undefined): string {
  const { tag, language } = localeInfo(locale);
  const time = localTime(startsAt, timeZone, tag);
  if (!(language in AT)) return time.toLocaleString(DateTime.TIME_SIMPLE);
  return time.toFormat(usesTwelveHourClock(tag) ? 'h:mm a' : 'HH:mm');
}

const appointmentTimes = remembered(1_000, (startsAt: string, timeZone: string, locale: string) => {
  const at = AT[localeInfo(locale).language] ?? AT.en;
  return `${formatDate(startsAt, timeZone, locale)} ${at} ${formatTime(startsAt, timeZone, locale)}`;
});

/** "Tue 1 Dec at 09:30", "mar 1 dic alle 09:30": how texts and pages name an appointment's time. */
export function formatAppointmentTime(startsAt: string, timeZone: string, locale: string = STAFF_LOCALE): string {
  return appointmentTimes(startsAt, timeZone, locale);
}
