-- The console's member search (docs/decisions/047-member-search.md), hand-written.
-- The last 4 digits of the card number: an expression index (card numbers are 16 digits).
CREATE INDEX "point_cards_last4_idx" ON "point_cards" USING btree (substr("card_number", 13, 4));
--> statement-breakpoint
-- Part of a name (3 characters or more): a trigram GIN index (pg_trgm is a trusted
-- extension: the database's owner may create it).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE INDEX "point_cards_name_trgm_idx" ON "point_cards" USING gin ("name" gin_trgm_ops);
