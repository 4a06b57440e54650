CREATE TABLE `account_link_tokens` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`line_user_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `account_link_tokens_user_idx` ON `account_link_tokens` (`line_user_id`);--> statement-breakpoint
ALTER TABLE `account_link_nonces` ADD `line_user_id` text;--> statement-breakpoint
ALTER TABLE `outbox` ADD `claimed_at` integer;--> statement-breakpoint
CREATE INDEX `outbox_user_idx` ON `outbox` (`line_user_id`,`id`);