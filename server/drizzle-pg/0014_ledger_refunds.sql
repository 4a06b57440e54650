ALTER TABLE "ledger" ADD COLUMN "refunds_entry_id" bigint;--> statement-breakpoint
ALTER TABLE "ledger" ADD COLUMN "refund_amount" bigint;--> statement-breakpoint
ALTER TABLE "ledger" ADD COLUMN "refund_shortfall" bigint;--> statement-breakpoint
CREATE INDEX "ledger_refunds_idx" ON "ledger" USING btree ("refunds_entry_id");