ALTER TABLE `orders` ADD `restock_on_settle` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `orders` ADD `settled_at` integer;--> statement-breakpoint
CREATE INDEX `orders_unsettled_idx` ON `orders` (`updated_at`) WHERE settled_at IS NULL AND status IN ('cancelled', 'refunded');