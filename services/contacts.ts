import type { PrismaClient } from '../db/client';
import { activeOptOut, optOutHistory } from '../db/opt-outs';
import { isE164Phone } from '../domain/fields';
import { NotFoundError } from '../lib/errors';

// What staff need about one number when a client says "I get nothing" or "I want my texts
// back": consents, opt-out state and its history, the last thing the number texted us, and
// where the client must text START.

export interface ContactJson {
  phone: string;
  name: string | null;
  email: string | null;
  smsConsent: boolean;
  emailConsent: boolean;
  optedOut: boolean;
  optOut: { since: string; keyword: string } | null;
  optOutHistory: { optedOutAt: string; keyword: string; optedInAt: string | null; optInKeyword: string | null }[];
  lastInbound: { id: string; body: string; at: string; keyword: string | null } | null;
  /** The practice number the client must text START to, or null when it is not known. */
  textStartTo: string | null;
}

export class ContactService {
  constructor(private readonly deps: { prisma: PrismaClient }) {}

  /**
   * A number the practice knows: a client of one of its appointments, or a number that texted
   * it, was texted by it, or opted out of it. Any other, another practice's included, is a 404.
   */
  async contact(practice: { id: string; smsFrom: string }, phone: string): Promise<ContactJson> {
    const { prisma } = this.deps;
    const practiceId = practice.id;
    const [contact, active, history, lastInbound] = await Promise.all([
      prisma.contact.findUnique({ where: { practiceId_phone: { practiceId, phone } } }),
      activeOptOut(prisma, practiceId, phone),
      optOutHistory(prisma, practiceId, phone),
      prisma.message.findFirst({
        where: { practiceId, from: phone, direction: 'inbound' },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        select: { id: true, body: true, createdAt: true, keyword: true, to: true },
      }),
    ]);
    const known =
      contact !== null ||
      history.length > 0 ||
      lastInbound !== null ||
      (await prisma.message.findFirst({ where: { practiceId, to: phone }, select: { id: true } })) !== null;
    if (!known) throw new NotFoundError(`No contact with phone number ${phone}.`);

    return {
      phone,
      name: contact?.name ?? null,
      email: contact?.email ?? null,
      smsConsent: contact?.smsConsent ?? false,
      emailConsent: contact?.emailConsent ?? false,
      optedOut: active !== null,
      optOut: active ? { since: active.optedOutAt.toISOString(), keyword: active.keyword } : null,
      optOutHistory: history.map((period) => ({
        optedOutAt: period.optedOutAt.toISOString(),
        keyword: period.keyword,
        optedInAt: period.optedInAt?.toISOString() ?? null,
        optInKeyword: period.optInKeyword,
      })),
      lastInbound: lastInbound
        ? {
            id: lastInbound.id,
            body: lastInbound.body,
            at: lastInbound.createdAt.toISOString(),
            keyword: lastInbound.keyword,
          }
        : null,
      // A practice that sends from one number is texted back there. One that sends through a
      // Messaging Service texts from any number of its pool; the one the client last texted is
      // a number of the pool that reaches this practice, and the likeliest one the client's
      // STOP went to, which is where Twilio blocks the client.
      textStartTo: isE164Phone(practice.smsFrom) ? practice.smsFrom : (lastInbound?.to ?? null),
    };
  }
}
