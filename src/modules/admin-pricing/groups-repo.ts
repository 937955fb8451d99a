/** D1 access for customer groups and their members (users.customer_group_id). */
export type GroupRow = { id: string; name: string; description: string | null; member_count: number; created_at: number; updated_at: number };

const SELECT = `SELECT g.id, g.name, g.description, g.created_at, g.updated_at,
  (SELECT COUNT(*) FROM users u WHERE u.customer_group_id = g.id) AS member_count FROM customer_groups g`;

export function findGroup(d1: D1Database, id: string) {
  return d1.prepare(`${SELECT} WHERE g.id = ?`).bind(id).first<GroupRow>();
}

/** Newest first (ids sort by creation time), `limit` rows after the cursor id. */
export async function listGroups(d1: D1Database, after: string | null, limit: number) {
  const { results } = await d1
    .prepare(`${SELECT} WHERE (?1 IS NULL OR g.id < ?1) ORDER BY g.id DESC LIMIT ?2`)
    .bind(after, limit)
    .all<GroupRow>();
  return results;
}

export async function insertGroup(d1: D1Database, row: { id: string; name: string; description: string | null; now: number }) {
  await d1
    .prepare("INSERT INTO customer_groups (id, name, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?)")
    .bind(row.id, row.name, row.description, row.now, row.now)
    .run();
}

export async function updateGroup(d1: D1Database, id: string, patch: { name?: string; description?: string | null }, now: number): Promise<boolean> {
  const result = await d1
    .prepare(
      `UPDATE customer_groups SET name = COALESCE(?, name), description = CASE WHEN ? THEN ? ELSE description END, updated_at = ?
       WHERE id = ?`,
    )
    .bind(patch.name ?? null, patch.description !== undefined ? 1 : 0, patch.description ?? null, now, id)
    .run();
  return result.meta.changes === 1;
}

/** Deletes a group nobody is in and no price list names; false when it is still in use or missing. */
export async function deleteUnusedGroup(d1: D1Database, id: string): Promise<boolean> {
  const result = await d1
    .prepare(
      `DELETE FROM customer_groups WHERE id = ?
         AND NOT EXISTS (SELECT 1 FROM users WHERE customer_group_id = ?)
         AND NOT EXISTS (SELECT 1 FROM price_list_groups WHERE customer_group_id = ?)`,
    )
    .bind(id, id, id)
    .run();
  return result.meta.changes === 1;
}

/** Puts a customer (role CUSTOMER) in the group, moving them out of any other; false when no such customer. */
export async function setMember(d1: D1Database, groupId: string, userId: string, now: number): Promise<boolean> {
  const result = await d1
    .prepare("UPDATE users SET customer_group_id = ?, updated_at = ? WHERE id = ? AND role = 'CUSTOMER'")
    .bind(groupId, now, userId)
    .run();
  return result.meta.changes === 1;
}

/** Takes the customer out of this group; false when they are not in it. */
export async function removeMember(d1: D1Database, groupId: string, userId: string, now: number): Promise<boolean> {
  const result = await d1
    .prepare("UPDATE users SET customer_group_id = NULL, updated_at = ? WHERE id = ? AND customer_group_id = ?")
    .bind(now, userId, groupId)
    .run();
  return result.meta.changes === 1;
}
