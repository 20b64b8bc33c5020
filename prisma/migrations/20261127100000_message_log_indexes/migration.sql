-- CreateIndex
CREATE INDEX "messages_practice_id_created_at_id_idx" ON "messages"("practice_id", "created_at", "id");

-- CreateIndex
CREATE INDEX "messages_practice_id_from_created_at_idx" ON "messages"("practice_id", "from", "created_at");
