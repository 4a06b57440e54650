CREATE TABLE `consents` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`line_user_id` text NOT NULL,
	`card_id` integer NOT NULL,
	`purpose` text NOT NULL,
	`version` text NOT NULL,
	`granted_at` integer NOT NULL,
	FOREIGN KEY (`card_id`) REFERENCES `point_cards`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `consents_user_idx` ON `consents` (`line_user_id`);--> statement-breakpoint
CREATE INDEX `consents_card_idx` ON `consents` (`card_id`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`scope` text NOT NULL,
	`key` text NOT NULL,
	`request_hash` text NOT NULL,
	`state` text NOT NULL,
	`response_status` integer,
	`response_body` text,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`scope`, `key`)
);
--> statement-breakpoint
CREATE INDEX `idempotency_keys_created_idx` ON `idempotency_keys` (`created_at`);--> statement-breakpoint
CREATE TABLE `issued_cards` (
	`line_user_id` text NOT NULL,
	`request_key` text NOT NULL,
	`card_id` integer NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`line_user_id`, `request_key`),
	FOREIGN KEY (`card_id`) REFERENCES `point_cards`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `ledger` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`card_id` integer NOT NULL,
	`type` text NOT NULL,
	`points` integer NOT NULL,
	`balance_after` integer NOT NULL,
	`store_code` text,
	`staff_id` text,
	`idempotency_key` text,
	`qr_token_id` text,
	`voids_entry_id` integer,
	`purchase_amount` integer,
	`note` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`card_id`) REFERENCES `point_cards`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "ledger_balance_nonnegative" CHECK("ledger"."balance_after" >= 0)
);
--> statement-breakpoint
CREATE INDEX `ledger_card_idx` ON `ledger` (`card_id`,`id`);--> statement-breakpoint
CREATE INDEX `ledger_store_time_idx` ON `ledger` (`store_code`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_voids_uq` ON `ledger` (`voids_entry_id`) WHERE voids_entry_id IS NOT NULL;--> statement-breakpoint
CREATE TABLE `line_links` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`line_user_id` text NOT NULL,
	`card_id` integer NOT NULL,
	`method` text NOT NULL,
	`linked_at` integer NOT NULL,
	`unlinked_at` integer,
	FOREIGN KEY (`card_id`) REFERENCES `point_cards`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `line_links_active_user_uq` ON `line_links` (`line_user_id`) WHERE unlinked_at IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `line_links_active_card_uq` ON `line_links` (`card_id`) WHERE unlinked_at IS NULL;--> statement-breakpoint
CREATE INDEX `line_links_user_idx` ON `line_links` (`line_user_id`);--> statement-breakpoint
CREATE INDEX `line_links_card_idx` ON `line_links` (`card_id`);--> statement-breakpoint
CREATE TABLE `link_attempts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`line_user_id` text NOT NULL,
	`card_key` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `link_attempts_user_idx` ON `link_attempts` (`line_user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `link_attempts_card_idx` ON `link_attempts` (`card_key`,`created_at`);--> statement-breakpoint
CREATE TABLE `link_bonuses` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`card_id` integer NOT NULL,
	`line_user_id` text NOT NULL,
	`ledger_id` integer NOT NULL,
	`granted_at` integer NOT NULL,
	FOREIGN KEY (`card_id`) REFERENCES `point_cards`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`ledger_id`) REFERENCES `ledger`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `link_bonuses_card_uq` ON `link_bonuses` (`card_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `link_bonuses_user_uq` ON `link_bonuses` (`line_user_id`);--> statement-breakpoint
CREATE TABLE `login_attempts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`staff_id` text NOT NULL,
	`ip` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `login_attempts_staff_idx` ON `login_attempts` (`staff_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `login_attempts_ip_idx` ON `login_attempts` (`ip`,`created_at`);--> statement-breakpoint
CREATE TABLE `point_cards` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`card_number` text NOT NULL,
	`pin_hash` text,
	`name` text NOT NULL,
	`rank` text DEFAULT 'regular' NOT NULL,
	`birth_date` text,
	`points` integer DEFAULT 0 NOT NULL,
	`source` text NOT NULL,
	`last_activity_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "point_cards_points_nonnegative" CHECK("point_cards"."points" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `point_cards_card_number_uq` ON `point_cards` (`card_number`);--> statement-breakpoint
CREATE INDEX `point_cards_rank_idx` ON `point_cards` (`rank`);--> statement-breakpoint
CREATE INDEX `point_cards_birth_date_idx` ON `point_cards` (`birth_date`);--> statement-breakpoint
CREATE TABLE `staff` (
	`id` text PRIMARY KEY NOT NULL,
	`store_code` text NOT NULL,
	`role` text NOT NULL,
	`password_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`store_code`) REFERENCES `stores`(`code`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `staff_store_idx` ON `staff` (`store_code`);--> statement-breakpoint
CREATE TABLE `staff_sessions` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`staff_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`revoked_at` integer,
	FOREIGN KEY (`staff_id`) REFERENCES `staff`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `staff_sessions_staff_idx` ON `staff_sessions` (`staff_id`);--> statement-breakpoint
CREATE TABLE `stores` (
	`code` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL
);
