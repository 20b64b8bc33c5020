import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../../generated/prisma/client';
import { createApiKey, practiceForApiKey, revokeApiKey } from '../../services/api-keys';
import { createPractice } from '../../services/practices';
import { useTestDatabase } from '../support/postgres';

// The practice behind a presented API key, against a real PostgreSQL. Every API request asks
// it first, so it is one statement: a round trip more per request was a measurable share of
// the API's CPU per create (README, Performance).

const db = useTestDatabase('api_keys');
/** A client that counts the statements it sends. */
let counting: PrismaClient;
let statements: string[] = [];

beforeAll(async () => {
  const logging = new PrismaClient({
    adapter: new PrismaPg({ connectionString: db.url }),
    log: [{ emit: 'event', level: 'query' }],
  });
  logging.$on('query', (event) => statements.push(event.query));
  counting = logging;
  await createPractice(db.prisma, { id: 'studio', name: 'Studio', smsFrom: '+15005550006', timeZone: 'Europe/Rome' });
});

afterAll(async () => {
  await counting?.$disconnect();
});

beforeEach(() => {
  statements = [];
});

test('a live key answers with its practice, in one statement', async () => {
  const { key } = await createApiKey(db.prisma, 'studio');
  statements = [];
  const practice = await practiceForApiKey(counting, key);
  expect(practice).toMatchObject({ id: 'studio', name: 'Studio', timeZone: 'Europe/Rome' });
  expect(statements).toHaveLength(1);
});

test('a revoked key and an unknown key answer null, in one statement each', async () => {
  const { key, prefix } = await createApiKey(db.prisma, 'studio');
  await revokeApiKey(db.prisma, prefix);
  statements = [];
  expect(await practiceForApiKey(counting, key)).toBeNull();
  expect(await practiceForApiKey(counting, `${prefix}_not-the-secret`)).toBeNull();
  expect(statements).toHaveLength(2);
});

test("another practice's key answers with that practice, never this one", async () => {
  await createPractice(db.prisma, { id: 'other', name: 'Other', smsFrom: '+15005550007', timeZone: 'UTC' });
  const { key } = await createApiKey(db.prisma, 'other');
  expect((await practiceForApiKey(counting, key))?.id).toBe('other');
});
