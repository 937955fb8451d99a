CREATE TABLE `event_receipts` (
	`consumer` text NOT NULL,
	`event_key` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`consumer`, `event_key`)
);
