-- AlterTable
ALTER TABLE "orders" ADD COLUMN     "workflow_started_at" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "orders_workflow_started_at_idx" ON "orders"("workflow_started_at");


-- Closed orders certainly had their workflow. Open ones stay unknown, so the
-- reconciler's first sweep checks each of them once (and starts any that never
-- got one).
UPDATE "orders" SET "workflow_started_at" = "created_at" WHERE "stage" IN ('closed', 'rejected', 'cancelled');
