import { defineConfig } from 'prisma/config';

// Only the CLI reads this file. The app applies migrations itself (db/migrate.ts) because
// Prisma's native schema engine cannot be downloaded everywhere; `prisma migrate deploy`
// still works on the same folder wherever it can.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/appointment_reminders' },
});
