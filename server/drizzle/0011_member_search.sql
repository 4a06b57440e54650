-- The console's member search (docs/decisions/047-member-search.md), hand-written.
-- The last 4 digits of the card number: an expression index (card numbers are 16 digits).
CREATE INDEX `point_cards_last4_idx` ON `point_cards` (substr(`card_number`, 13, 4));
--> statement-breakpoint
-- Part of a name (3 characters or more): an FTS5 trigram index over point_cards.name, kept
-- in step by triggers (an external-content table: the names are not stored twice).
CREATE VIRTUAL TABLE `point_cards_name_fts` USING fts5(
  name, content='point_cards', content_rowid='id', tokenize='trigram'
);
--> statement-breakpoint
INSERT INTO `point_cards_name_fts` (rowid, name) SELECT id, name FROM point_cards;
--> statement-breakpoint
CREATE TRIGGER `point_cards_name_fts_ai` AFTER INSERT ON `point_cards` BEGIN
  INSERT INTO point_cards_name_fts (rowid, name) VALUES (new.id, new.name);
END;
--> statement-breakpoint
CREATE TRIGGER `point_cards_name_fts_ad` AFTER DELETE ON `point_cards` BEGIN
  INSERT INTO point_cards_name_fts (point_cards_name_fts, rowid, name)
    VALUES ('delete', old.id, old.name);
END;
--> statement-breakpoint
CREATE TRIGGER `point_cards_name_fts_au` AFTER UPDATE OF name ON `point_cards` BEGIN
  INSERT INTO point_cards_name_fts (point_cards_name_fts, rowid, name)
    VALUES ('delete', old.id, old.name);
  INSERT INTO point_cards_name_fts (rowid, name) VALUES (new.id, new.name);
END;
