ALTER TABLE `ledger` ADD `refunds_entry_id` integer;--> statement-breakpoint
ALTER TABLE `ledger` ADD `refund_amount` integer;--> statement-breakpoint
ALTER TABLE `ledger` ADD `refund_shortfall` integer;--> statement-breakpoint
CREATE INDEX `ledger_refunds_idx` ON `ledger` (`refunds_entry_id`);