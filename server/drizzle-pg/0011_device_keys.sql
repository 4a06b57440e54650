CREATE TABLE "device_keys" (
	"link_id" bigint PRIMARY KEY NOT NULL,
	"secret" text NOT NULL,
	"issued_at" bigint NOT NULL
);
