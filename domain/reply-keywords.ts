// Reply keywords of the public contract. Matching ignores case, surrounding white space and
// punctuation ("c.", " Stop!") because that is how people type on phones; anything longer
// than a keyword ("C see you then") is left for staff rather than guessed at.

export type ReplyIntent = 'confirm' | 'opt_out' | 'opt_in' | 'help' | 'other';

const KEYWORDS: Record<Exclude<ReplyIntent, 'other'>, readonly string[]> = {
  confirm: ['C', 'CONFIRM', 'CONFIRMED'],
  opt_out: ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'REVOKE'],
  opt_in: ['START', 'UNSTOP', 'YES'],
  help: ['HELP', 'INFO'],
};

export interface ParsedReply {
  intent: ReplyIntent;
  /** The keyword as matched (upper case), or null for free text. */
  keyword: string | null;
}

export function parseReply(body: string): ParsedReply {
  const normalized = body
    .trim()
    .replace(/^[\p{P}\p{S}\s]+|[\p{P}\p{S}\s]+$/gu, '')
    .toUpperCase();
  for (const [intent, words] of Object.entries(KEYWORDS) as Array<[Exclude<ReplyIntent, 'other'>, readonly string[]]>) {
    if (words.includes(normalized)) return { intent, keyword: normalized };
  }
  return { intent: 'other', keyword: null };
}
