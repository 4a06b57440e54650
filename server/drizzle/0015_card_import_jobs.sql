CREATE TABLE `card_import_jobs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`actor` text NOT NULL,
	`status` text NOT NULL,
	`bytes_total` integer,
	`bytes_read` integer DEFAULT 0 NOT NULL,
	`rows_read` integer DEFAULT 0 NOT NULL,
	`rows_staged` integer DEFAULT 0 NOT NULL,
	`rows_merged` integer DEFAULT 0 NOT NULL,
	`merged_through_line` integer DEFAULT 0 NOT NULL,
	`created` integer DEFAULT 0 NOT NULL,
	`updated` integer DEFAULT 0 NOT NULL,
	`unchanged` integer DEFAULT 0 NOT NULL,
	`points_ignored` integer DEFAULT 0 NOT NULL,
	`errors` text DEFAULT '[]' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `card_import_rows` (
	`job_id` integer NOT NULL,
	`line` integer NOT NULL,
	`card_number` text NOT NULL,
	`pin_hash` text NOT NULL,
	`name` text NOT NULL,
	`rank` text,
	`birth_date` text,
	`points` integer NOT NULL,
	PRIMARY KEY(`job_id`, `line`)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `card_import_rows_card_uq` ON `card_import_rows` (`job_id`,`card_number`);