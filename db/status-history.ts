import { statusHistoryOf, type StatusChange } from '../domain/delivery-status';
import type { Prisma } from './client';

/** A message row's stored status history with one more change, as the column takes it. */
export function withStatusChange(stored: unknown, change: StatusChange): Prisma.InputJsonValue {
  return [...statusHistoryOf(stored), change] as unknown as Prisma.InputJsonValue;
}
