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
CREATE TABLE `coupon_redemptions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`member_coupon_id` integer NOT NULL,
	`use_no` integer NOT NULL,
	`coupon_id` integer NOT NULL,
	`card_id` integer NOT NULL,
	`store_code` text NOT NULL,
	`staff_id` text NOT NULL,
	`purchase_amount` integer,
	`ledger_id` integer,
	`idempotency_key` text,
	`created_at` integer NOT NULL,
	`reversed_at` integer,
	`reversed_by` text,
	FOREIGN KEY (`member_coupon_id`) REFERENCES `member_coupons`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`coupon_id`) REFERENCES `coupons`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`card_id`) REFERENCES `point_cards`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `coupon_redemptions_use_uq` ON `coupon_redemptions` (`member_coupon_id`,`use_no`);--> statement-breakpoint
CREATE INDEX `coupon_redemptions_coupon_idx` ON `coupon_redemptions` (`coupon_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `coupon_redemptions_created_idx` ON `coupon_redemptions` (`created_at`);--> statement-breakpoint
CREATE INDEX `coupon_redemptions_store_idx` ON `coupon_redemptions` (`store_code`,`created_at`);--> statement-breakpoint
CREATE TABLE `coupon_reminders` (
	`member_coupon_id` integer PRIMARY KEY NOT NULL,
	`reminded_at` integer NOT NULL,
	FOREIGN KEY (`member_coupon_id`) REFERENCES `member_coupons`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `coupons` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`title` text NOT NULL,
	`description` text,
	`image_url` text,
	`reward_type` text NOT NULL,
	`reward_value` integer,
	`reward_item` text,
	`valid_from` text NOT NULL,
	`valid_until` text NOT NULL,
	`starts_at` integer NOT NULL,
	`ends_at` integer NOT NULL,
	`valid_days_after_issue` integer,
	`per_member_limit` integer DEFAULT 1 NOT NULL,
	`total_limit` integer,
	`used_count` integer DEFAULT 0 NOT NULL,
	`min_purchase_yen` integer,
	`store_codes` text,
	`follow_up_coupon_id` integer,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`ended_at` integer,
	CONSTRAINT "coupons_used_within_limit" CHECK("coupons"."total_limit" IS NULL OR "coupons"."used_count" <= "coupons"."total_limit"),
	CONSTRAINT "coupons_used_nonnegative" CHECK("coupons"."used_count" >= 0)
);
--> statement-breakpoint
CREATE TABLE `member_coupons` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`coupon_id` integer NOT NULL,
	`card_id` integer NOT NULL,
	`copy` integer DEFAULT 1 NOT NULL,
	`source` text NOT NULL,
	`issued_at` integer NOT NULL,
	`valid_until` integer NOT NULL,
	`uses` integer DEFAULT 0 NOT NULL,
	`reversals` integer DEFAULT 0 NOT NULL,
	`last_used_at` integer,
	FOREIGN KEY (`coupon_id`) REFERENCES `coupons`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`card_id`) REFERENCES `point_cards`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "member_coupons_reversals_within_uses" CHECK("member_coupons"."reversals" <= "member_coupons"."uses")
);
--> statement-breakpoint
CREATE UNIQUE INDEX `member_coupons_copy_uq` ON `member_coupons` (`coupon_id`,`card_id`,`copy`);--> statement-breakpoint
CREATE INDEX `member_coupons_card_idx` ON `member_coupons` (`card_id`);--> statement-breakpoint
CREATE INDEX `member_coupons_issued_idx` ON `member_coupons` (`issued_at`);--> statement-breakpoint
CREATE INDEX `member_coupons_coupon_idx` ON `member_coupons` (`coupon_id`,`issued_at`);--> statement-breakpoint
CREATE INDEX `member_coupons_valid_until_idx` ON `member_coupons` (`valid_until`);--> statement-breakpoint
CREATE TABLE `messaging_settings` (
	`id` integer PRIMARY KEY DEFAULT 1 NOT NULL,
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
CREATE TABLE `staff_recovery_codes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`staff_id` text NOT NULL,
	`selector` text NOT NULL,
	`code_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`used_at` integer,
	FOREIGN KEY (`staff_id`) REFERENCES `staff`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `staff_recovery_codes_staff_idx` ON `staff_recovery_codes` (`staff_id`);--> statement-breakpoint
CREATE TABLE `test_recipients` (
	`line_user_id` text PRIMARY KEY NOT NULL,
	`label` text NOT NULL,
	`created_at` integer NOT NULL
);
