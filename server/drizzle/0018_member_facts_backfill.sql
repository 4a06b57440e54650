-- Hand-written: fills the segment facts (member_visit_days, member_store_visits, member_facts)
-- from the ledger already there. A till transaction is an `award` or `redeem` at a store; a
-- day is the Asia/Tokyo day number floor((created_at + 9 h) / 1 day). Idempotent.
INSERT INTO member_visit_days (card_id, day)
SELECT DISTINCT card_id, (created_at + 32400000) / 86400000 FROM ledger
WHERE type IN ('award', 'redeem') AND store_code IS NOT NULL
ON CONFLICT DO NOTHING;
--> statement-breakpoint
INSERT INTO member_store_visits (card_id, store_code)
SELECT DISTINCT card_id, store_code FROM ledger
WHERE type IN ('award', 'redeem') AND store_code IS NOT NULL
ON CONFLICT DO NOTHING;
--> statement-breakpoint
INSERT INTO member_facts (card_id, last_visit_day, updated_at)
SELECT card_id, max(day), 0 FROM member_visit_days WHERE true GROUP BY card_id
ON CONFLICT DO NOTHING;
