-- AlterTable
ALTER TABLE "messages" ADD COLUMN     "signal_targets" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "effects_due_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "messages_effects_due_at_idx" ON "messages"("effects_due_at");
