CREATE TABLE `addresses` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`first_name` text NOT NULL,
	`last_name` text NOT NULL,
	`line1` text NOT NULL,
	`line2` text,
	`city` text NOT NULL,
	`postal_code` text NOT NULL,
	`province` text,
	`country_code` text NOT NULL,
	`phone` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`customer_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `addresses_customer_idx` ON `addresses` (`customer_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `product_prices` (
	`product_id` text NOT NULL,
	`currency` text NOT NULL,
	`min_amount` integer NOT NULL,
	`max_amount` integer NOT NULL,
	PRIMARY KEY(`product_id`, `currency`),
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `product_prices_listing_idx` ON `product_prices` (`currency`,`min_amount`,`product_id`);--> statement-breakpoint
CREATE TABLE `regions` (
	`code` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`currency` text NOT NULL,
	`countries` text DEFAULT '[]' NOT NULL,
	`tax_inclusive` integer DEFAULT false NOT NULL,
	`is_default` integer DEFAULT false NOT NULL,
	`position` integer DEFAULT 0 NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `regions_one_default_uq` ON `regions` (`is_default`) WHERE is_default = 1;--> statement-breakpoint
CREATE TABLE `shipping_methods` (
	`id` text PRIMARY KEY NOT NULL,
	`region_code` text NOT NULL,
	`name` text NOT NULL,
	`kind` text DEFAULT 'flat' NOT NULL,
	`amount` integer DEFAULT 0 NOT NULL,
	`weight_rates` text DEFAULT '[]' NOT NULL,
	`free_over` integer,
	`estimated_days` integer,
	`countries` text DEFAULT '[]' NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`position` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `shipping_methods_region_idx` ON `shipping_methods` (`region_code`,`position`);--> statement-breakpoint
CREATE TABLE `tax_rates` (
	`id` text PRIMARY KEY NOT NULL,
	`country_code` text NOT NULL,
	`province_code` text DEFAULT '' NOT NULL,
	`tax_category` text DEFAULT 'standard' NOT NULL,
	`rate_bps` integer NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tax_rates_place_uq` ON `tax_rates` (`country_code`,`province_code`,`tax_category`);--> statement-breakpoint
CREATE TABLE `translations` (
	`entity_type` text NOT NULL,
	`entity_id` text NOT NULL,
	`locale` text NOT NULL,
	`title` text NOT NULL,
	`description` text,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`entity_type`, `entity_id`, `locale`)
);
--> statement-breakpoint
CREATE TABLE `variant_prices` (
	`variant_id` text NOT NULL,
	`currency` text NOT NULL,
	`amount` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`variant_id`, `currency`),
	FOREIGN KEY (`variant_id`) REFERENCES `product_variants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
ALTER TABLE `carts` ADD `region_code` text;--> statement-breakpoint
ALTER TABLE `carts` ADD `shipping_address` text;--> statement-breakpoint
ALTER TABLE `carts` ADD `shipping_method_id` text;--> statement-breakpoint
ALTER TABLE `checkouts` ADD `market` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `orders` ADD `shipping_total` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `orders` ADD `region_code` text;--> statement-breakpoint
ALTER TABLE `orders` ADD `locale` text;--> statement-breakpoint
ALTER TABLE `orders` ADD `shipping_address` text;--> statement-breakpoint
ALTER TABLE `orders` ADD `shipping_method` text;--> statement-breakpoint
ALTER TABLE `product_variants` ADD `weight_grams` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `product_variants` ADD `requires_shipping` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `products` ADD `tax_category` text DEFAULT 'standard' NOT NULL;--> statement-breakpoint
-- Hand-written below (drizzle-kit models neither data backfills nor FTS5 virtual tables/triggers).
-- The price range of every existing product in its variants' own currency, as product_prices
-- holds it from now on (the store lists a product in a currency only through this table).
INSERT OR IGNORE INTO `product_prices` (`product_id`, `currency`, `min_amount`, `max_amount`)
SELECT `product_id`, `currency`, min(`price`), max(`price`) FROM `product_variants`
WHERE `deleted_at` IS NULL GROUP BY `product_id`, `currency`;
--> statement-breakpoint
-- Full-text search over translated product titles and descriptions, one row per (product, locale),
-- sharing its rowid with the translations row, so every trigger is a rowid lookup.
CREATE VIRTUAL TABLE `product_translations_fts` USING fts5(
  `product_id` UNINDEXED,
  `locale` UNINDEXED,
  `title`,
  `description`,
  tokenize = 'unicode61 remove_diacritics 2'
);
--> statement-breakpoint
CREATE TRIGGER `translations_fts_after_insert` AFTER INSERT ON `translations` WHEN new.entity_type = 'product' BEGIN
  INSERT INTO `product_translations_fts` (`rowid`, `product_id`, `locale`, `title`, `description`)
  VALUES (new.rowid, new.entity_id, new.locale, new.title, coalesce(new.description, ''));
END;
--> statement-breakpoint
CREATE TRIGGER `translations_fts_after_update` AFTER UPDATE OF `title`, `description` ON `translations` WHEN new.entity_type = 'product' BEGIN
  UPDATE `product_translations_fts` SET `title` = new.title, `description` = coalesce(new.description, '') WHERE `rowid` = new.rowid;
END;
--> statement-breakpoint
CREATE TRIGGER `translations_fts_after_delete` AFTER DELETE ON `translations` WHEN old.entity_type = 'product' BEGIN
  DELETE FROM `product_translations_fts` WHERE `rowid` = old.rowid;
END;
