CREATE TABLE "qr_token_uses" (
	"token_id" text PRIMARY KEY NOT NULL,
	"store_code" text NOT NULL,
	"spent" bigint DEFAULT 0 NOT NULL,
	"expires_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX "qr_token_uses_expires_idx" ON "qr_token_uses" USING btree ("expires_at");