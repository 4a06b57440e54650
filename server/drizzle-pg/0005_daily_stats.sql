CREATE TABLE "daily_stats" (
	"day" bigint NOT NULL,
	"store_code" text NOT NULL,
	"shard" bigint NOT NULL,
	"new_links" bigint DEFAULT 0 NOT NULL,
	"unlinks" bigint DEFAULT 0 NOT NULL,
	"linked_friends" bigint DEFAULT 0 NOT NULL,
	"friends" bigint DEFAULT 0 NOT NULL,
	"new_cards" bigint DEFAULT 0 NOT NULL,
	"bonus_points" bigint DEFAULT 0 NOT NULL,
	"points_awarded" bigint DEFAULT 0 NOT NULL,
	"points_redeemed" bigint DEFAULT 0 NOT NULL,
	"points_expired" bigint DEFAULT 0 NOT NULL,
	"net_points" bigint DEFAULT 0 NOT NULL,
	"scans" bigint DEFAULT 0 NOT NULL,
	"awards" bigint DEFAULT 0 NOT NULL,
	"redeems" bigint DEFAULT 0 NOT NULL,
	"visits_linked" bigint DEFAULT 0 NOT NULL,
	"visits_unlinked" bigint DEFAULT 0 NOT NULL,
	"purchases_linked" bigint DEFAULT 0 NOT NULL,
	"purchase_yen_linked" bigint DEFAULT 0 NOT NULL,
	"purchases_unlinked" bigint DEFAULT 0 NOT NULL,
	"purchase_yen_unlinked" bigint DEFAULT 0 NOT NULL,
	"active30" bigint DEFAULT 0 NOT NULL,
	"active90" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "daily_stats_day_store_code_shard_pk" PRIMARY KEY("day","store_code","shard")
);
--> statement-breakpoint
ALTER TABLE "point_cards" ADD COLUMN "last_visit_day" bigint;--> statement-breakpoint
ALTER TABLE "point_cards" ADD COLUMN "prev_visit_day" bigint;--> statement-breakpoint
ALTER TABLE "point_cards" ADD COLUMN "erased_at" bigint;--> statement-breakpoint
CREATE INDEX "point_cards_name_idx" ON "point_cards" USING btree ("name");