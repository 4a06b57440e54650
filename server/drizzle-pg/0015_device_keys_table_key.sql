-- The key of device_keys as a table-level constraint (the schemas' parity: a column key in
-- SQLite makes link_id the rowid); edited after drizzle-kit, which cannot name the old key.
ALTER TABLE "device_keys" DROP CONSTRAINT "device_keys_pkey";--> statement-breakpoint
ALTER TABLE "device_keys" ADD CONSTRAINT "device_keys_link_id_pk" PRIMARY KEY("link_id");
