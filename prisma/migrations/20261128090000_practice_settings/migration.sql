-- Practice settings (issue 10): language, quiet hours, templates, SMS budget, who answers STOP/START.
ALTER TABLE "practices" ADD COLUMN "locale" TEXT NOT NULL DEFAULT 'en',
ADD COLUMN "quiet_hours_start" TEXT DEFAULT '21:00',
ADD COLUMN "quiet_hours_end" TEXT DEFAULT '08:00',
ADD COLUMN "templates" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN "sms_monthly_budget" INTEGER,
ADD COLUMN "opt_out_replies" TEXT NOT NULL DEFAULT 'practice';

-- Replies from a practitioner's number are linked to their appointments for staff.
ALTER TABLE "appointments" ADD COLUMN "practitioner_phone" TEXT;
CREATE INDEX "appointments_practice_id_practitioner_phone_starts_at_idx" ON "appointments"("practice_id", "practitioner_phone", "starts_at");

-- Budget charges and custom (scheduled) messages.
ALTER TABLE "messages" ADD COLUMN "budget_segments" INTEGER,
ADD COLUMN "scheduled_for" TIMESTAMPTZ(3),
ADD COLUMN "workflow_id" TEXT;

CREATE TABLE "sms_usage" (
    "practice_id" TEXT NOT NULL,
    "month" TEXT NOT NULL,
    "segments" INTEGER NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "sms_usage_pkey" PRIMARY KEY ("practice_id","month")
);

ALTER TABLE "sms_usage" ADD CONSTRAINT "sms_usage_practice_id_fkey" FOREIGN KEY ("practice_id") REFERENCES "practices"("id") ON DELETE CASCADE ON UPDATE CASCADE;
