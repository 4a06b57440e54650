-- The ledger is append-only: no row is ever changed or removed (a void is a new entry).
-- The same rule as the SQLite triggers in drizzle/0001_ledger_append_only.sql, plus TRUNCATE,
-- which PostgreSQL has and row triggers do not see. SQLSTATE 23001 (restrict_violation) is an
-- integrity-constraint error, as SQLite's RAISE(ABORT) in a trigger is a constraint error.
CREATE FUNCTION "ledger_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger is append-only' USING ERRCODE = 'restrict_violation';
END
$$;
--> statement-breakpoint
CREATE TRIGGER "ledger_no_update" BEFORE UPDATE ON "ledger"
FOR EACH ROW EXECUTE FUNCTION "ledger_append_only"();
--> statement-breakpoint
CREATE TRIGGER "ledger_no_delete" BEFORE DELETE ON "ledger"
FOR EACH ROW EXECUTE FUNCTION "ledger_append_only"();
--> statement-breakpoint
CREATE TRIGGER "ledger_no_truncate" BEFORE TRUNCATE ON "ledger"
FOR EACH STATEMENT EXECUTE FUNCTION "ledger_append_only"();
