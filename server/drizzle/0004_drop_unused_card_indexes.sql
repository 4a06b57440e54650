DROP INDEX `point_cards_rank_idx`;--> statement-breakpoint
DROP INDEX `point_cards_birth_date_idx`;