-- Full-text search over product title, description and variant SKUs (FTS5; hand-written because
-- drizzle-kit does not model virtual tables). The FTS row shares its rowid with the product row,
-- so every trigger below is a rowid lookup, never a scan. Products are never VACUUMed by D1, so
-- their rowids are stable; deleted products are soft-deleted and keep their row.
CREATE VIRTUAL TABLE `products_fts` USING fts5(
  `product_id` UNINDEXED,
  `title`,
  `description`,
  `skus`,
  tokenize = 'unicode61 remove_diacritics 2'
);
--> statement-breakpoint
CREATE TRIGGER `products_fts_after_insert` AFTER INSERT ON `products` BEGIN
  INSERT INTO `products_fts` (`rowid`, `product_id`, `title`, `description`, `skus`)
  VALUES (new.rowid, new.id, new.title, new.description, '');
END;
--> statement-breakpoint
CREATE TRIGGER `products_fts_after_update` AFTER UPDATE OF `title`, `description` ON `products` BEGIN
  UPDATE `products_fts` SET `title` = new.title, `description` = new.description WHERE `rowid` = new.rowid;
END;
--> statement-breakpoint
CREATE TRIGGER `products_fts_after_delete` AFTER DELETE ON `products` BEGIN
  DELETE FROM `products_fts` WHERE `rowid` = old.rowid;
END;
--> statement-breakpoint
CREATE TRIGGER `variants_fts_after_insert` AFTER INSERT ON `product_variants` BEGIN
  UPDATE `products_fts`
  SET `skus` = (SELECT coalesce(group_concat(`sku`, ' '), '') FROM `product_variants`
                WHERE `product_id` = new.product_id AND `deleted_at` IS NULL)
  WHERE `rowid` = (SELECT `rowid` FROM `products` WHERE `id` = new.product_id);
END;
--> statement-breakpoint
CREATE TRIGGER `variants_fts_after_update` AFTER UPDATE OF `sku`, `deleted_at` ON `product_variants` BEGIN
  UPDATE `products_fts`
  SET `skus` = (SELECT coalesce(group_concat(`sku`, ' '), '') FROM `product_variants`
                WHERE `product_id` = new.product_id AND `deleted_at` IS NULL)
  WHERE `rowid` = (SELECT `rowid` FROM `products` WHERE `id` = new.product_id);
END;
