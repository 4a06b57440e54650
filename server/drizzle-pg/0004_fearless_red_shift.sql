CREATE TABLE "staff_known_addresses" (
	"staff_id" text NOT NULL,
	"ip" text NOT NULL,
	"last_sign_in_at" bigint NOT NULL,
	CONSTRAINT "staff_known_addresses_staff_id_ip_pk" PRIMARY KEY("staff_id","ip")
);
--> statement-breakpoint
ALTER TABLE "link_attempts" ADD COLUMN "card_cleared_at" bigint;--> statement-breakpoint
CREATE INDEX "staff_known_addresses_at_idx" ON "staff_known_addresses" USING btree ("last_sign_in_at");--> statement-breakpoint
CREATE INDEX "account_link_tokens_expires_idx" ON "account_link_tokens" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "link_attempts_created_idx" ON "link_attempts" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "login_attempts_created_idx" ON "login_attempts" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "staff_sessions_expires_idx" ON "staff_sessions" USING btree ("expires_at");