import type { RequestHandler } from 'express';
import type { PrismaClient } from '../db/client';
import { practiceForApiKey } from '../services/api-keys';
import { HttpProblem } from './problem';

export type AuthenticatedPractice = NonNullable<Awaited<ReturnType<typeof practiceForApiKey>>>;

declare module 'express-serve-static-core' {
  interface Locals {
    practice: AuthenticatedPractice;
  }
}

/** Bearer API keys; the practice of the key scopes everything the request can see. */
export function requireApiKey(prisma: PrismaClient): RequestHandler {
  return async (req, res, next) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    const practice = match ? await practiceForApiKey(prisma, match[1]) : null;
    if (!practice) {
      res.set('WWW-Authenticate', 'Bearer');
      throw new HttpProblem({
        status: 401,
        title: 'Unauthorized',
        detail: match ? 'The API key is unknown or revoked.' : 'Send an API key as "Authorization: Bearer <key>".',
      });
    }
    res.locals.practice = practice;
    next();
  };
}
