CREATE TABLE `account_link_nonces` (
	`nonce` text PRIMARY KEY NOT NULL,
	`card_id` integer NOT NULL,
	`consent_version` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	FOREIGN KEY (`card_id`) REFERENCES `point_cards`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `account_link_nonces_card_idx` ON `account_link_nonces` (`card_id`);--> statement-breakpoint
CREATE TABLE `line_friends` (
	`line_user_id` text PRIMARY KEY NOT NULL,
	`followed_at` integer,
	`blocked_at` integer,
	`language` text,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `message_counts` (
	`month` text PRIMARY KEY NOT NULL,
	`count` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE `outbox` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`line_user_id` text,
	`payload` text NOT NULL,
	`retry_key` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`sent_at` integer,
	`failed_at` integer,
	`last_error` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `outbox_pending_idx` ON `outbox` (`next_attempt_at`) WHERE sent_at IS NULL AND failed_at IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `outbox_retry_key_uq` ON `outbox` (`retry_key`);--> statement-breakpoint
CREATE TABLE `rich_menus` (
	`name` text PRIMARY KEY NOT NULL,
	`rich_menu_id` text NOT NULL,
	`definition_hash` text NOT NULL,
	`deployed_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `webhook_events` (
	`webhook_event_id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `webhook_events_received_idx` ON `webhook_events` (`received_at`);