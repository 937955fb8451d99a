CREATE TABLE `balance_refunds` (
	`id` text PRIMARY KEY NOT NULL,
	`return_id` text NOT NULL,
	`account_id` text NOT NULL,
	`kind` text NOT NULL,
	`checkout_id` text NOT NULL,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `balance_refunds_return_account_uq` ON `balance_refunds` (`return_id`,`account_id`);--> statement-breakpoint
CREATE INDEX `balance_refunds_checkout_idx` ON `balance_refunds` (`checkout_id`);--> statement-breakpoint
CREATE TABLE `gift_cards` (
	`id` text PRIMARY KEY NOT NULL,
	`code_hash` text NOT NULL,
	`last4` text NOT NULL,
	`currency` text NOT NULL,
	`initial_amount` integer NOT NULL,
	`expires_at` integer,
	`created_by` text,
	`note` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `gift_cards_code_hash_unique` ON `gift_cards` (`code_hash`);--> statement-breakpoint
CREATE INDEX `gift_cards_created_idx` ON `gift_cards` (`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `return_lines` (
	`id` text PRIMARY KEY NOT NULL,
	`return_id` text NOT NULL,
	`order_id` text NOT NULL,
	`variant_id` text NOT NULL,
	`quantity` integer NOT NULL,
	`amount` integer NOT NULL,
	`tax` integer DEFAULT 0 NOT NULL,
	`reason` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `return_lines_return_idx` ON `return_lines` (`return_id`);--> statement-breakpoint
CREATE INDEX `return_lines_order_idx` ON `return_lines` (`order_id`,`variant_id`);--> statement-breakpoint
CREATE TABLE `returns` (
	`id` text PRIMARY KEY NOT NULL,
	`order_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`status` text DEFAULT 'requested' NOT NULL,
	`currency` text NOT NULL,
	`returned_amount` integer DEFAULT 0 NOT NULL,
	`shipping_amount` integer DEFAULT 0 NOT NULL,
	`exchange_items` text DEFAULT '[]' NOT NULL,
	`exchange_amount` integer DEFAULT 0 NOT NULL,
	`refund_amount` integer DEFAULT 0 NOT NULL,
	`refund_to` text DEFAULT 'original' NOT NULL,
	`restock` integer,
	`refund_id` text,
	`exchange_order_id` text,
	`note` text,
	`approved_at` integer,
	`received_at` integer,
	`refunded_at` integer,
	`rejected_at` integer,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`customer_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `returns_customer_idx` ON `returns` (`customer_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `returns_status_idx` ON `returns` (`status`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `returns_order_idx` ON `returns` (`order_id`);--> statement-breakpoint
CREATE INDEX `returns_created_idx` ON `returns` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `returns_received_idx` ON `returns` (`updated_at`) WHERE status = 'received';--> statement-breakpoint
CREATE INDEX `returns_received_at_idx` ON `returns` (`received_at`);--> statement-breakpoint
CREATE TABLE `store_credit_entries` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`currency` text NOT NULL,
	`amount` integer NOT NULL,
	`kind` text NOT NULL,
	`reference` text,
	`actor` text,
	`note` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`customer_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `store_credit_entries_customer_idx` ON `store_credit_entries` (`customer_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `wishlist_items` (
	`customer_id` text NOT NULL,
	`variant_id` text NOT NULL,
	`product_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`customer_id`, `variant_id`),
	FOREIGN KEY (`customer_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`variant_id`) REFERENCES `product_variants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `wishlist_items_customer_idx` ON `wishlist_items` (`customer_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `wishlist_items_product_idx` ON `wishlist_items` (`product_id`);--> statement-breakpoint
ALTER TABLE `carts` ADD `gift_cards` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `carts` ADD `use_store_credit` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `checkouts` ADD `tenders` text DEFAULT '[]' NOT NULL;