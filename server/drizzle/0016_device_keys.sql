CREATE TABLE `device_keys` (
	`link_id` integer PRIMARY KEY NOT NULL,
	`secret` text NOT NULL,
	`issued_at` integer NOT NULL
);
