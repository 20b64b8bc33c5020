import type { FakeTwilioFailure } from '../../test/support/fake-twilio';
import type { ChaosParams } from './params';
import type { Random } from './random';

// The fake Twilio's behaviour during a chaos run, decided per message creation:
// - a number chosen as unusable is refused for good on every attempt (21211 or 21614), as
//   Twilio refuses an invalid or landline number every time;
// - otherwise a share of attempts answers 5xx (half of them after accepting the message), a
//   share is accepted and never answered (the client times out), the rest are accepted.
// The same message (to + body) is refused without being accepted at most twice in a row:
// real outages are transient, and the cap means a product that retries always gets a
// reminder through with time to spare, so a reminder that never went out is a defect, not
// bad luck. Accepting failures (the ones that cause double sends) are never capped.

export const MAX_REFUSALS_IN_A_ROW = 2;

export type AttemptOutcome =
  'accepted' | 'accepted_then_5xx' | 'accepted_then_hang' | 'refused_5xx' | 'refused_permanent';

export interface GatewayAttempt {
  at: number;
  to: string;
  outcome: AttemptOutcome;
}

export interface GatewayFaults {
  /** The policy handed to startFakeTwilio({ faults }). */
  decide(form: Record<string, string>): FakeTwilioFailure | undefined;
  /** Every creation attempt in arrival order. */
  readonly attempts: GatewayAttempt[];
}

export type PermanentCode = 21211 | 21614;

const PERMANENT_MESSAGES: Record<PermanentCode, string> = {
  21211: "The 'To' number is not a valid phone number.",
  21614: "'To' number is not a valid mobile number",
};

export function createGatewayFaults(
  params: Pick<ChaosParams, 'serverErrorRate' | 'hangRate'>,
  unusableNumbers: ReadonlyMap<string, PermanentCode>,
  random: Random,
): GatewayFaults {
  const attempts: GatewayAttempt[] = [];
  const refusedInARow = new Map<string, number>();

  function draw(mayRefuse: boolean): AttemptOutcome {
    const acceptedShare = params.serverErrorRate / 2 + params.hangRate;
    const refusedShare = mayRefuse ? params.serverErrorRate / 2 : 0;
    // Without the refusal share the others keep their proportions.
    const roll = random.next() * (1 - params.serverErrorRate / 2 + refusedShare);
    if (roll < refusedShare) return 'refused_5xx';
    if (roll < refusedShare + params.serverErrorRate / 2) return 'accepted_then_5xx';
    if (roll < refusedShare + acceptedShare) return 'accepted_then_hang';
    return 'accepted';
  }

  return {
    attempts,
    decide(form) {
      const to = form.To ?? '';
      const permanent = unusableNumbers.get(to);
      if (permanent !== undefined) {
        attempts.push({ at: Date.now(), to, outcome: 'refused_permanent' });
        return { status: 400, code: permanent, message: PERMANENT_MESSAGES[permanent] };
      }
      const key = `${to}\n${form.Body ?? ''}`;
      const refused = refusedInARow.get(key) ?? 0;
      const outcome = draw(refused < MAX_REFUSALS_IN_A_ROW);
      attempts.push({ at: Date.now(), to, outcome });
      refusedInARow.set(key, outcome === 'refused_5xx' ? refused + 1 : 0);
      const status = random.next() < 0.5 ? 500 : 503;
      switch (outcome) {
        case 'refused_5xx':
          return { status, code: 20500, message: 'Internal Server Error' };
        case 'accepted_then_5xx':
          return { status, code: 20500, message: 'Internal Server Error', accepted: true };
        case 'accepted_then_hang':
          return { hang: true };
        default:
          return undefined;
      }
    },
  };
}
