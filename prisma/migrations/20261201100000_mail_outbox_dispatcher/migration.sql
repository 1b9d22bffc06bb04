-- AlterTable
ALTER TABLE "email_outbox" ADD COLUMN     "html" TEXT,
ADD COLUMN     "lease_until" TIMESTAMPTZ(3),
ADD COLUMN     "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
ADD COLUMN     "queue" TEXT NOT NULL DEFAULT 'default',
ADD COLUMN     "to_name" TEXT;

-- CreateIndex
CREATE INDEX "email_outbox_queue_status_next_attempt_at_idx" ON "email_outbox"("queue", "status", "next_attempt_at");

-- CreateIndex
CREATE INDEX "email_outbox_queue_status_lease_until_idx" ON "email_outbox"("queue", "status", "lease_until");


-- Wake the dispatchers of a row's queue when it is queued (delivered at commit,
-- dispatchers LISTEN on "email_outbox": activities/email/dispatcher.ts).
-- The body is an E'' string with \x3B for semicolons, as in the init migration,
-- because the migration runner splits statements at semicolons.
CREATE FUNCTION email_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS
E'BEGIN PERFORM pg_notify(''email_outbox'', NEW.queue)\x3B RETURN NULL\x3B END';

CREATE TRIGGER email_outbox_notify AFTER INSERT ON "email_outbox"
  FOR EACH ROW EXECUTE FUNCTION email_outbox_notify();
