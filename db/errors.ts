/** Prisma's P2002: a write met a unique constraint, i.e. the row it would create or claim exists. */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'P2002';
}
