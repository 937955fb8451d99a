CREATE TABLE `inventory_shard_levels` (
	`variant_id` text NOT NULL,
	`shard` integer NOT NULL,
	`on_hand` integer NOT NULL,
	`reserved` integer NOT NULL,
	`version` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`variant_id`, `shard`)
);
--> statement-breakpoint
ALTER TABLE `product_variants` ADD `stock_shards` integer DEFAULT 1 NOT NULL;