CREATE TABLE `discount_claims` (
	`checkout_id` text NOT NULL,
	`discount_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`checkout_id`, `discount_id`),
	FOREIGN KEY (`discount_id`) REFERENCES `discounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `discount_claims_customer_idx` ON `discount_claims` (`discount_id`,`customer_id`);