-- The ledger is append-only: no row is ever changed or removed (a void is a new entry).
CREATE TRIGGER `ledger_no_update` BEFORE UPDATE ON `ledger`
BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
--> statement-breakpoint
CREATE TRIGGER `ledger_no_delete` BEFORE DELETE ON `ledger`
BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;
