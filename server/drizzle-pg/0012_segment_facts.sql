CREATE TABLE "member_facts" (
	"card_id" bigint NOT NULL,
	"last_visit_day" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "member_facts_card_id_pk" PRIMARY KEY("card_id")
);
--> statement-breakpoint
CREATE TABLE "member_preferences" (
	"line_user_id" text PRIMARY KEY NOT NULL,
	"promotions" bigint DEFAULT 1 NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "member_store_visits" (
	"card_id" bigint NOT NULL,
	"store_code" text NOT NULL,
	CONSTRAINT "member_store_visits_card_id_store_code_pk" PRIMARY KEY("card_id","store_code")
);
--> statement-breakpoint
CREATE TABLE "member_visit_days" (
	"card_id" bigint NOT NULL,
	"day" bigint NOT NULL,
	CONSTRAINT "member_visit_days_card_id_day_pk" PRIMARY KEY("card_id","day")
);
--> statement-breakpoint
ALTER TABLE "member_facts" ADD CONSTRAINT "member_facts_card_id_point_cards_id_fk" FOREIGN KEY ("card_id") REFERENCES "public"."point_cards"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "member_store_visits" ADD CONSTRAINT "member_store_visits_card_id_point_cards_id_fk" FOREIGN KEY ("card_id") REFERENCES "public"."point_cards"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "member_visit_days" ADD CONSTRAINT "member_visit_days_card_id_point_cards_id_fk" FOREIGN KEY ("card_id") REFERENCES "public"."point_cards"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "member_preferences_off_idx" ON "member_preferences" USING btree ("line_user_id") WHERE promotions = 0;--> statement-breakpoint
CREATE INDEX "member_store_visits_store_idx" ON "member_store_visits" USING btree ("store_code","card_id");--> statement-breakpoint
CREATE INDEX "member_visit_days_day_idx" ON "member_visit_days" USING btree ("day");--> statement-breakpoint
CREATE INDEX "line_friends_blocked_idx" ON "line_friends" USING btree ("line_user_id") WHERE blocked_at IS NOT NULL;