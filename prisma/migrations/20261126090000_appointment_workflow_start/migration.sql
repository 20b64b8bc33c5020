-- AlterTable
ALTER TABLE "appointments" ADD COLUMN     "details" JSONB,
ADD COLUMN     "workflow_started_at" TIMESTAMPTZ(3);

-- Rows written before this migration exist only because their workflow's start succeeded.
UPDATE "appointments" SET "workflow_started_at" = "created_at";

-- CreateIndex
CREATE INDEX "appointments_workflow_started_at_created_at_idx" ON "appointments"("workflow_started_at", "created_at");
