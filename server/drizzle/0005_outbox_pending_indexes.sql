DROP INDEX `outbox_user_idx`;--> statement-breakpoint
DROP INDEX `outbox_pending_idx`;--> statement-breakpoint
CREATE INDEX `outbox_pending_user_idx` ON `outbox` (`line_user_id`,`id`) WHERE sent_at IS NULL AND failed_at IS NULL;--> statement-breakpoint
CREATE INDEX `outbox_pending_idx` ON `outbox` (`id`,`next_attempt_at`) WHERE sent_at IS NULL AND failed_at IS NULL;