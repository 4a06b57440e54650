CREATE TABLE `member_facts` (
	`card_id` integer PRIMARY KEY NOT NULL,
	`last_visit_day` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`card_id`) REFERENCES `point_cards`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `member_preferences` (
	`line_user_id` text PRIMARY KEY NOT NULL,
	`promotions` integer DEFAULT 1 NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `member_preferences_off_idx` ON `member_preferences` (`line_user_id`) WHERE promotions = 0;--> statement-breakpoint
CREATE TABLE `member_store_visits` (
	`card_id` integer NOT NULL,
	`store_code` text NOT NULL,
	PRIMARY KEY(`card_id`, `store_code`),
	FOREIGN KEY (`card_id`) REFERENCES `point_cards`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `member_store_visits_store_idx` ON `member_store_visits` (`store_code`,`card_id`);--> statement-breakpoint
CREATE TABLE `member_visit_days` (
	`card_id` integer NOT NULL,
	`day` integer NOT NULL,
	PRIMARY KEY(`card_id`, `day`),
	FOREIGN KEY (`card_id`) REFERENCES `point_cards`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `member_visit_days_day_idx` ON `member_visit_days` (`day`);--> statement-breakpoint
CREATE INDEX `line_friends_blocked_idx` ON `line_friends` (`line_user_id`) WHERE blocked_at IS NOT NULL;