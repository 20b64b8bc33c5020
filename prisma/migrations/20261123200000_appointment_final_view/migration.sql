-- AlterTable
ALTER TABLE "appointments" ADD COLUMN     "final_view" JSONB;
