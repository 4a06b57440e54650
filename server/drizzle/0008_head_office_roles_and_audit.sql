-- Edited by hand after drizzle-kit: its copy into __new_staff selected the new columns from
-- the old table, which does not have them.
CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`target` text,
	`address` text,
	`detail` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_log_actor_idx` ON `audit_log` (`actor`,`id`);--> statement-breakpoint
CREATE INDEX `audit_log_action_idx` ON `audit_log` (`action`,`id`);--> statement-breakpoint
CREATE INDEX `audit_log_at_idx` ON `audit_log` (`at`);--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_staff` (
	`id` text PRIMARY KEY NOT NULL,
	`store_code` text,
	`role` text NOT NULL,
	`password_hash` text NOT NULL,
	`disabled_at` integer,
	`totp_secret` text,
	`totp_pending_secret` text,
	`totp_last_step` integer,
	`last_sign_in_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`store_code`) REFERENCES `stores`(`code`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_staff`("id", "store_code", "role", "password_hash", "created_at", "updated_at") SELECT "id", "store_code", "role", "password_hash", "created_at", "updated_at" FROM `staff`;--> statement-breakpoint
DROP TABLE `staff`;--> statement-breakpoint
ALTER TABLE `__new_staff` RENAME TO `staff`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `staff_store_idx` ON `staff` (`store_code`);--> statement-breakpoint
ALTER TABLE `staff_sessions` ADD `kind` text DEFAULT 'bearer' NOT NULL;--> statement-breakpoint
ALTER TABLE `staff_sessions` ADD `last_seen_at` integer;--> statement-breakpoint
ALTER TABLE `stores` ADD `deactivated_at` integer;