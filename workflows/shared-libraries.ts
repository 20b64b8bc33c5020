import { DateTime } from 'luxon';
import { isValidPhoneNumber, parsePhoneNumberWithError } from 'libphonenumber-js/max';
import { z } from 'zod';

// Loaded once into the worker's shared V8 context and shared by every workflow
// (workflows/bundler-options.ts): the third-party libraries the workflow code imports, through
// the same entry points as that code, so that each is one module in the bundle. Naming what
// the code uses keeps webpack from dropping them (they declare themselves free of side
// effects) without pulling in parts nothing uses (all of zod's locales, say).

// The shared modules are frozen once loaded. zod fills in its global configuration (the
// default locale and memoizer) when the first schema is built: built here, before the freeze,
// so that a workflow building one finds it filled in rather than failing to write it.
const sample = z.object({ text: z.string() });

export const SHARED_LIBRARIES = [DateTime, isValidPhoneNumber, parsePhoneNumberWithError, sample];
