-- Reports (issue 11): the confirmation that stands, mirrored from the workflow, and when staff
-- reviewed a reply; indexes for counting per day and listing what needs attention.
ALTER TABLE "appointments" ADD COLUMN "confirmed_at" TIMESTAMPTZ(3),
ADD COLUMN "confirmed_via" TEXT;

-- Appointments that ended keep their confirmation in the final view.
UPDATE "appointments"
SET "confirmed_at" = ("final_view" -> 'confirmation' ->> 'at')::timestamptz,
    "confirmed_via" = "final_view" -> 'confirmation' ->> 'via'
WHERE jsonb_typeof("final_view" -> 'confirmation') = 'object';

CREATE INDEX "appointments_practice_id_confirmed_at_idx" ON "appointments"("practice_id", "confirmed_at");
CREATE INDEX "appointments_practice_id_starts_at_idx" ON "appointments"("practice_id", "starts_at");

ALTER TABLE "messages" ADD COLUMN "reviewed_at" TIMESTAMPTZ(3);

CREATE INDEX "messages_practice_id_sent_at_idx" ON "messages"("practice_id", "sent_at");
CREATE INDEX "messages_practice_id_needs_review_idx" ON "messages"("practice_id", "needs_review");
