CREATE TABLE `automation_runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`run_date` text NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`targeted` integer DEFAULT 0 NOT NULL,
	`sent` integer DEFAULT 0 NOT NULL,
	`excluded` integer DEFAULT 0 NOT NULL,
	`failed` integer DEFAULT 0 NOT NULL,
	`pending_batches` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `automation_runs_kind_date_uq` ON `automation_runs` (`kind`,`run_date`);--> statement-breakpoint
CREATE TABLE `automation_sends` (
	`kind` text NOT NULL,
	`card_id` integer NOT NULL,
	`occurrence` text NOT NULL,
	`sent_at` integer NOT NULL,
	PRIMARY KEY(`kind`, `card_id`, `occurrence`)
);
--> statement-breakpoint
CREATE TABLE `automations` (
	`kind` text PRIMARY KEY NOT NULL,
	`enabled` integer DEFAULT 0 NOT NULL,
	`messages` text NOT NULL,
	`params` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `campaigns` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`status` text NOT NULL,
	`segment` text NOT NULL,
	`messages` text NOT NULL,
	`aggregation_unit` text NOT NULL,
	`scheduled_at` integer,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer,
	`recipients` integer DEFAULT 0 NOT NULL,
	`sent` integer DEFAULT 0 NOT NULL,
	`failed` integer DEFAULT 0 NOT NULL,
	`excluded_opted_out` integer DEFAULT 0 NOT NULL,
	`excluded_blocked` integer DEFAULT 0 NOT NULL,
	`excluded_cap` integer DEFAULT 0 NOT NULL,
	`batches` integer DEFAULT 0 NOT NULL,
	`pending_batches` integer DEFAULT 0 NOT NULL,
	`error` text
);
--> statement-breakpoint
CREATE INDEX `campaigns_status_idx` ON `campaigns` (`status`,`scheduled_at`);--> statement-breakpoint
CREATE TABLE `messaging_settings` (
	`id` integer PRIMARY KEY NOT NULL,
	`cap_messages` integer NOT NULL,
	`cap_days` integer NOT NULL,
	`automation_hour` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `promo_sends` (
	`source` text NOT NULL,
	`line_user_id` text NOT NULL,
	`sent_at` integer NOT NULL,
	PRIMARY KEY(`source`, `line_user_id`)
);
--> statement-breakpoint
CREATE INDEX `promo_sends_user_idx` ON `promo_sends` (`line_user_id`,`sent_at`);--> statement-breakpoint
CREATE TABLE `saved_segments` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`segment` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `test_recipients` (
	`line_user_id` text PRIMARY KEY NOT NULL,
	`label` text NOT NULL,
	`created_at` integer NOT NULL
);
