CREATE TABLE `staff_known_addresses` (
	`staff_id` text NOT NULL,
	`ip` text NOT NULL,
	`last_sign_in_at` integer NOT NULL,
	PRIMARY KEY(`staff_id`, `ip`)
);
--> statement-breakpoint
CREATE INDEX `staff_known_addresses_at_idx` ON `staff_known_addresses` (`last_sign_in_at`);--> statement-breakpoint
ALTER TABLE `link_attempts` ADD `card_cleared_at` integer;--> statement-breakpoint
CREATE INDEX `link_attempts_created_idx` ON `link_attempts` (`created_at`);--> statement-breakpoint
CREATE INDEX `account_link_tokens_expires_idx` ON `account_link_tokens` (`expires_at`);--> statement-breakpoint
CREATE INDEX `login_attempts_created_idx` ON `login_attempts` (`created_at`);--> statement-breakpoint
CREATE INDEX `staff_sessions_expires_idx` ON `staff_sessions` (`expires_at`);