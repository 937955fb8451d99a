CREATE INDEX `carts_created_idx` ON `carts` (`created_at`);--> statement-breakpoint
CREATE INDEX `checkouts_created_idx` ON `checkouts` (`created_at`);--> statement-breakpoint
CREATE INDEX `inventory_levels_available_idx` ON `inventory_levels` (("on_hand" - "reserved"));