-- AlterTable
ALTER TABLE "messages" ADD COLUMN     "html" TEXT,
ADD COLUMN     "purpose" TEXT,
ADD COLUMN     "recipient" TEXT,
ADD COLUMN     "reminder_id" TEXT,
ADD COLUMN     "status_history" JSONB NOT NULL DEFAULT '[]',
ADD COLUMN     "subject" TEXT;
