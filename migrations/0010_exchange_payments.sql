-- D1 runs a migration in one transaction, where foreign_keys cannot change (drizzle-kit writes
-- PRAGMA foreign_keys=OFF/ON here; D1 ignores them). refunds.payment_id points at payments: with
-- checks deferred, the DROP's orphaned refunds are only counted, and switching deferral off again
-- after the rename (which holds every id again) clears that count. Both PRAGMAs are required:
-- without the last one the commit fails once refunds has rows.
PRAGMA defer_foreign_keys = on;--> statement-breakpoint
CREATE TABLE `__new_payments` (
	`id` text PRIMARY KEY NOT NULL,
	`checkout_id` text NOT NULL,
	`order_id` text,
	`provider` text NOT NULL,
	`provider_ref` text NOT NULL,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`status` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `__new_payments`("id", "checkout_id", "order_id", "provider", "provider_ref", "amount", "currency", "status", "created_at", "updated_at") SELECT "id", "checkout_id", "order_id", "provider", "provider_ref", "amount", "currency", "status", "created_at", "updated_at" FROM `payments`;--> statement-breakpoint
DROP TABLE `payments`;--> statement-breakpoint
ALTER TABLE `__new_payments` RENAME TO `payments`;--> statement-breakpoint
PRAGMA defer_foreign_keys = off;--> statement-breakpoint
CREATE UNIQUE INDEX `payments_provider_ref_uq` ON `payments` (`provider`,`provider_ref`);--> statement-breakpoint
CREATE INDEX `payments_checkout_idx` ON `payments` (`checkout_id`);--> statement-breakpoint
ALTER TABLE `returns` ADD `amount_due` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `returns` ADD `difference_status` text DEFAULT 'none' NOT NULL;--> statement-breakpoint
ALTER TABLE `returns` ADD `payment_attempts` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `returns` ADD `payment_id` text;--> statement-breakpoint
CREATE INDEX `returns_paying_idx` ON `returns` (`updated_at`) WHERE difference_status = 'paying';--> statement-breakpoint
CREATE INDEX `returns_refund_idx` ON `returns` (`refund_id`);--> statement-breakpoint
CREATE INDEX `returns_payment_idx` ON `returns` (`payment_id`);