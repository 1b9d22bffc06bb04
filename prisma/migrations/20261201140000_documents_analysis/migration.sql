-- AlterTable
ALTER TABLE "email_outbox" ADD COLUMN     "attachments" JSONB;

-- CreateTable
CREATE TABLE "order_documents" (
    "id" TEXT NOT NULL,
    "order_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "doc_no" TEXT NOT NULL,
    "source_hash" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "content" BYTEA NOT NULL,
    "issued_at" TIMESTAMP(3) NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "order_documents_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "contract_signatures" (
    "id" TEXT NOT NULL,
    "order_id" TEXT NOT NULL,
    "document_id" TEXT NOT NULL,
    "signed_on" DATE NOT NULL,
    "signer" TEXT NOT NULL,
    "scan_type" TEXT NOT NULL,
    "scan_name" TEXT NOT NULL,
    "scan_size" INTEGER NOT NULL,
    "scan_sha256" TEXT NOT NULL,
    "scan" BYTEA NOT NULL,
    "recorded_by" TEXT NOT NULL,
    "recorded_at" TIMESTAMP(3) NOT NULL,
    "finance_confirmed_by" TEXT,
    "finance_confirmed_at" TIMESTAMP(3),
    "finance_comment" TEXT,

    CONSTRAINT "contract_signatures_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "order_documents_doc_no_key" ON "order_documents"("doc_no");

-- CreateIndex
CREATE UNIQUE INDEX "order_documents_order_id_kind_version_key" ON "order_documents"("order_id", "kind", "version");

-- CreateIndex
CREATE UNIQUE INDEX "contract_signatures_document_id_key" ON "contract_signatures"("document_id");

-- CreateIndex
CREATE INDEX "contract_signatures_order_id_idx" ON "contract_signatures"("order_id");

-- CreateIndex
CREATE INDEX "orders_order_date_idx" ON "orders"("order_date");

-- CreateIndex
CREATE INDEX "orders_customer_id_order_date_idx" ON "orders"("customer_id", "order_date");

-- AddForeignKey
ALTER TABLE "order_documents" ADD CONSTRAINT "order_documents_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "contract_signatures" ADD CONSTRAINT "contract_signatures_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "contract_signatures" ADD CONSTRAINT "contract_signatures_document_id_fkey" FOREIGN KEY ("document_id") REFERENCES "order_documents"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

