CREATE TABLE `daily_stats` (
	`day` integer NOT NULL,
	`store_code` text NOT NULL,
	`shard` integer NOT NULL,
	`new_links` integer DEFAULT 0 NOT NULL,
	`unlinks` integer DEFAULT 0 NOT NULL,
	`linked_friends` integer DEFAULT 0 NOT NULL,
	`friends` integer DEFAULT 0 NOT NULL,
	`new_cards` integer DEFAULT 0 NOT NULL,
	`bonus_points` integer DEFAULT 0 NOT NULL,
	`points_awarded` integer DEFAULT 0 NOT NULL,
	`points_redeemed` integer DEFAULT 0 NOT NULL,
	`points_expired` integer DEFAULT 0 NOT NULL,
	`net_points` integer DEFAULT 0 NOT NULL,
	`scans` integer DEFAULT 0 NOT NULL,
	`awards` integer DEFAULT 0 NOT NULL,
	`redeems` integer DEFAULT 0 NOT NULL,
	`visits_linked` integer DEFAULT 0 NOT NULL,
	`visits_unlinked` integer DEFAULT 0 NOT NULL,
	`purchases_linked` integer DEFAULT 0 NOT NULL,
	`purchase_yen_linked` integer DEFAULT 0 NOT NULL,
	`purchases_unlinked` integer DEFAULT 0 NOT NULL,
	`purchase_yen_unlinked` integer DEFAULT 0 NOT NULL,
	`active30` integer DEFAULT 0 NOT NULL,
	`active90` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`day`, `store_code`, `shard`)
);
--> statement-breakpoint
ALTER TABLE `point_cards` ADD `last_visit_day` integer;--> statement-breakpoint
ALTER TABLE `point_cards` ADD `prev_visit_day` integer;--> statement-breakpoint
ALTER TABLE `point_cards` ADD `erased_at` integer;--> statement-breakpoint
CREATE INDEX `point_cards_name_idx` ON `point_cards` (`name`);