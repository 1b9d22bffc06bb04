-- DropIndex
DROP INDEX "orders_stage_created_at_idx";

-- DropIndex
DROP INDEX "orders_customer_id_created_at_idx";

-- DropIndex
DROP INDEX "orders_risk_level_created_at_idx";

-- DropIndex
DROP INDEX "orders_created_at_id_idx";

-- AlterTable
ALTER TABLE "orders" ADD COLUMN     "correction_count" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "stage_transitions" ADD COLUMN     "deadline" TIMESTAMP(3),
ADD COLUMN     "held_ms" BIGINT NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "api_tokens" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL DEFAULT 'user',
    "name" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "revoked_at" TIMESTAMP(3),
    "last_used_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "api_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "change_requests" (
    "id" TEXT NOT NULL,
    "order_id" TEXT NOT NULL,
    "request_key" TEXT NOT NULL,
    "changes" JSONB NOT NULL,
    "reason" TEXT NOT NULL,
    "wrong_data" BOOLEAN NOT NULL DEFAULT false,
    "requested_by" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'under_review',
    "reviews" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decided_at" TIMESTAMP(3),
    "applied_at" TIMESTAMP(3),

    CONSTRAINT "change_requests_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "order_holds" (
    "id" TEXT NOT NULL,
    "order_id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "stage" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "held_by" TEXT NOT NULL,
    "held_at" TIMESTAMP(3) NOT NULL,
    "release_reason" TEXT,
    "released_by" TEXT,
    "released_at" TIMESTAMP(3),
    "held_ms" BIGINT,

    CONSTRAINT "order_holds_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "feedback" (
    "id" TEXT NOT NULL,
    "order_id" TEXT NOT NULL,
    "rating" INTEGER NOT NULL,
    "comment" TEXT,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "feedback_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "complaints" (
    "id" TEXT NOT NULL,
    "order_id" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "owner" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'open',
    "resolution" TEXT,
    "resolved_by" TEXT,
    "resolved_at" TIMESTAMP(3),
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "complaints_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "order_profits" (
    "order_id" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "revenue" DECIMAL(18,2) NOT NULL,
    "cost_of_goods" DECIMAL(18,2) NOT NULL,
    "shipping_cost" DECIMAL(18,2) NOT NULL,
    "profit" DECIMAL(18,2) NOT NULL,
    "margin" DECIMAL(8,4) NOT NULL,
    "closed_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "order_profits_pkey" PRIMARY KEY ("order_id")
);

-- CreateTable
CREATE TABLE "risks" (
    "id" TEXT NOT NULL,
    "order_id" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "probability" INTEGER NOT NULL,
    "impact" INTEGER NOT NULL,
    "score" INTEGER NOT NULL,
    "level" TEXT NOT NULL,
    "control" TEXT NOT NULL,
    "owner" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'open',
    "reason" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "risks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "kpi_archive" (
    "period" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "computed_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "kpi_archive_pkey" PRIMARY KEY ("period")
);

-- CreateIndex
CREATE UNIQUE INDEX "api_tokens_token_hash_key" ON "api_tokens"("token_hash");

-- CreateIndex
CREATE INDEX "api_tokens_user_id_idx" ON "api_tokens"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "change_requests_request_key_key" ON "change_requests"("request_key");

-- CreateIndex
CREATE INDEX "change_requests_order_id_idx" ON "change_requests"("order_id");

-- CreateIndex
CREATE UNIQUE INDEX "order_holds_key_key" ON "order_holds"("key");

-- CreateIndex
CREATE INDEX "order_holds_order_id_idx" ON "order_holds"("order_id");

-- CreateIndex
CREATE INDEX "feedback_order_id_idx" ON "feedback"("order_id");

-- CreateIndex
CREATE INDEX "feedback_created_at_idx" ON "feedback"("created_at");

-- CreateIndex
CREATE INDEX "complaints_order_id_idx" ON "complaints"("order_id");

-- CreateIndex
CREATE INDEX "complaints_created_at_idx" ON "complaints"("created_at");

-- CreateIndex
CREATE INDEX "order_profits_closed_at_idx" ON "order_profits"("closed_at");

-- CreateIndex
CREATE INDEX "risks_status_score_idx" ON "risks"("status", "score");

-- CreateIndex
CREATE UNIQUE INDEX "risks_order_id_category_key" ON "risks"("order_id", "category");

-- CreateIndex
CREATE INDEX "orders_stage_created_at_id_idx" ON "orders"("stage", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "orders_customer_id_created_at_id_idx" ON "orders"("customer_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "orders_risk_level_created_at_id_idx" ON "orders"("risk_level", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "orders_created_at_id_idx" ON "orders"("created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "stage_transitions_at_idx" ON "stage_transitions"("at");

-- CreateIndex
CREATE INDEX "shipments_dispatched_at_idx" ON "shipments"("dispatched_at");

-- CreateIndex
CREATE INDEX "shipments_delivered_at_idx" ON "shipments"("delivered_at");

-- AddForeignKey
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "change_requests" ADD CONSTRAINT "change_requests_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "order_holds" ADD CONSTRAINT "order_holds_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "feedback" ADD CONSTRAINT "feedback_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "complaints" ADD CONSTRAINT "complaints_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "order_profits" ADD CONSTRAINT "order_profits_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "risks" ADD CONSTRAINT "risks_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

