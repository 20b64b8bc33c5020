import type { RecipientRole } from './appointment';
import type { ReplyIntent } from './reply-keywords';
import type { MessageKind } from './templates';

// What an inbound text does besides its keyword's effect: whether it is answered, with which
// kind of text, and whether staff should look at it. One place, so the webhook, its tests and
// the README tell the same story.

export type OptOutReplies = 'practice' | 'twilio';

export interface ReplySituation {
  intent: ReplyIntent;
  /**
   * Whose number it is: the client of one of the practice's open appointments, else the
   * practitioner of one, else null (no open appointment has this number).
   */
  sender: RecipientRole | null;
  /** Whether an open appointment was matched (for a client, the one the reply is about). */
  matched: boolean;
  optOutReplies: OptOutReplies;
  /** The number is opted out once this text's own effect applied. */
  optedOut: boolean;
}

/**
 * The kind of text that answers this reply, or null for none.
 * - STOP and START get the practice's opt-out / opt-in text, unless Twilio's Advanced Opt-Out
 *   answers them (`optOutReplies: 'twilio'`): the sender never gets two answers.
 * - Nothing else is answered while the number is opted out: Twilio refuses to text it, and we
 *   never text a number that said STOP.
 * - A client's "C" gets the acknowledgement naming the appointment it confirmed; a "C" with
 *   nothing to confirm gets the HELP text (the practice's name and phone to call).
 * - A practitioner's "C" or free text is left to staff, unanswered: it confirms nothing.
 */
export function replyAnswerKind(situation: ReplySituation): MessageKind | null {
  const { intent, sender, matched, optOutReplies, optedOut } = situation;
  if (intent === 'opt_out') return optOutReplies === 'twilio' ? null : 'opt_out';
  if (intent === 'opt_in') return optOutReplies === 'twilio' || optedOut ? null : 'opt_in';
  if (optedOut) return null;
  if (intent === 'help') return 'help';
  if (intent === 'confirm' && sender !== 'practitioner') return matched ? 'confirmation_ack' : 'help';
  return null;
}

/**
 * Whether staff should look at the reply: free text, a "C" that confirmed nothing, and
 * anything from a practitioner's number (it changes no client's appointment, so someone
 * should read it).
 */
export function replyNeedsReview(situation: Pick<ReplySituation, 'intent' | 'sender' | 'matched'>): boolean {
  if (situation.sender === 'practitioner') return true;
  return situation.intent === 'other' || (situation.intent === 'confirm' && !situation.matched);
}
