import { createHash, randomBytes } from 'node:crypto';
import type { PrismaClient } from '../db/client';
import { NotFoundError } from '../lib/errors';

// Keys look like `ark_1a2b3c4d_<secret>`. The prefix (`ark_1a2b3c4d`) is stored in clear so
// operators can name a key to revoke; the key itself only as a SHA-256 hash. A fast hash is
// right here: the secret is 192 random bits, so there is nothing to brute-force.

const PREFIX_TAG = 'ark';

function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export async function createApiKey(prisma: PrismaClient, practiceId: string): Promise<{ key: string; prefix: string }> {
  const practice = await prisma.practice.findUnique({ where: { id: practiceId } });
  if (!practice) throw new NotFoundError(`No practice with id "${practiceId}".`);
  const prefix = `${PREFIX_TAG}_${randomBytes(4).toString('hex')}`;
  const key = `${prefix}_${randomBytes(24).toString('base64url')}`;
  await prisma.apiKey.create({ data: { practiceId, prefix, hash: hashApiKey(key) } });
  return { key, prefix };
}

export async function revokeApiKey(prisma: PrismaClient, prefix: string): Promise<void> {
  const { count } = await prisma.apiKey.updateMany({
    where: { prefix, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (count === 0) {
    const known = await prisma.apiKey.findUnique({ where: { prefix } });
    if (!known) throw new NotFoundError(`No API key with prefix "${prefix}".`);
  }
}

/**
 * The practice a presented key belongs to, or null for an unknown or revoked key. Asked from
 * the practice's side, it is one statement (the key a subquery); every API request makes it.
 */
export async function practiceForApiKey(prisma: PrismaClient, key: string) {
  return prisma.practice.findFirst({ where: { apiKeys: { some: { hash: hashApiKey(key), revokedAt: null } } } });
}
