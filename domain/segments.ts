/**
 * How many SMS parts a body costs, following GSM 03.38 / 3GPP TS 23.040 the way Twilio
 * bills it. Pure, like everything in domain/: the message log and the send activity both
 * record its count.
 *
 * A single SMS carries 140 octets: 160 GSM-7 septets or 70 UCS-2 code units. Once a body
 * needs more, every part gives 6 octets to the concatenation header, leaving 153 septets
 * or 67 code units.
 *
 * Decisions:
 * - An empty body counts as 1 segment with 0 characters, as Twilio's own segment
 *   calculator reports it (its API refuses an empty body outright with error 21602, so
 *   this only matters for previews).
 * - A GSM-7 extension character (form feed ^ { } \ [ ~ ] | €) is an escape plus a septet
 *   that a handset must receive together, so it never straddles two parts.
 * - In UCS-2, characters outside the Basic Multilingual Plane (most emoji) are a UTF-16
 *   surrogate pair that Twilio keeps in one part. Splitting stops there: a multi-code-point
 *   grapheme (flag, skin tone, ZWJ family) may still span parts, because recognising
 *   grapheme clusters needs Unicode tables that can change between Node versions and
 *   would make the count non-deterministic across workflow replays.
 */

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SegmentCount {
  encoding: SmsEncoding;
  segments: number;
  /** GSM-7: septets (extension characters count 2). UCS-2: UTF-16 code units. */
  characters: number;
}

const GSM7_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
    '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM7_EXTENSION = new Set('\f^{}\\[~]|€');

const LIMITS: Record<SmsEncoding, { single: number; perPart: number }> = {
  'GSM-7': { single: 160, perPart: 153 },
  'UCS-2': { single: 70, perPart: 67 },
};

export function countSegments(body: string): SegmentCount {
  const gsm7 = gsm7Widths(body);
  const encoding: SmsEncoding = gsm7 ? 'GSM-7' : 'UCS-2';
  const widths = gsm7 ?? ucs2Widths(body);
  const characters = widths.reduce((sum, width) => sum + width, 0);
  const { single, perPart } = LIMITS[encoding];
  if (characters <= single) return { encoding, segments: 1, characters };

  let segments = 1;
  let used = 0;
  for (const width of widths) {
    if (used + width > perPart) {
      segments += 1;
      used = 0;
    }
    used += width;
  }
  return { encoding, segments, characters };
}

/** Septets per character, or null as soon as one character has no GSM-7 form. */
function gsm7Widths(body: string): number[] | null {
  const widths: number[] = [];
  for (const char of body) {
    if (GSM7_BASIC.has(char)) widths.push(1);
    else if (GSM7_EXTENSION.has(char)) widths.push(2);
    else return null;
  }
  return widths;
}

/** UTF-16 code units per code point: 2 for a surrogate pair, which must stay in one part. */
function ucs2Widths(body: string): number[] {
  const widths: number[] = [];
  for (const char of body) widths.push(char.length);
  return widths;
}
