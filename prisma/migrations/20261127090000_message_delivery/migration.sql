-- AlterTable
ALTER TABLE "appointments" ADD COLUMN     "final_journal" JSONB;

-- AlterTable
ALTER TABLE "messages" ADD COLUMN     "html" TEXT,
ADD COLUMN     "purpose" TEXT,
ADD COLUMN     "recipient" TEXT,
ADD COLUMN     "reminder_id" TEXT,
ADD COLUMN     "status_history" JSONB NOT NULL DEFAULT '[]',
ADD COLUMN     "subject" TEXT,
ALTER COLUMN "segments" DROP NOT NULL,
ALTER COLUMN "encoding" DROP NOT NULL;
