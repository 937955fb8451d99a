CREATE TABLE `dead_letters` (
	`id` text PRIMARY KEY NOT NULL,
	`queue` text NOT NULL,
	`message_id` text NOT NULL,
	`body` text,
	`reason` text NOT NULL,
	`created_at` integer NOT NULL,
	`replayed_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `dead_letters_message_uq` ON `dead_letters` (`queue`,`message_id`);--> statement-breakpoint
CREATE INDEX `dead_letters_created_idx` ON `dead_letters` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `dead_letters_queue_idx` ON `dead_letters` (`queue`,`created_at`,`id`);--> statement-breakpoint
ALTER TABLE `email_outbox` ADD `next_attempt_at` integer;--> statement-breakpoint
CREATE INDEX `email_outbox_first_send_idx` ON `email_outbox` (`updated_at`) WHERE status = 'pending' AND next_attempt_at IS NULL;--> statement-breakpoint
CREATE INDEX `email_outbox_retry_due_idx` ON `email_outbox` (`next_attempt_at`) WHERE status = 'pending' AND next_attempt_at IS NOT NULL;--> statement-breakpoint
CREATE INDEX `inventory_adjustments_created_idx` ON `inventory_adjustments` (`created_at`,`variant_id`);--> statement-breakpoint
CREATE INDEX `orders_ended_idx` ON `orders` (`updated_at`) WHERE status IN ('cancelled', 'refunded');