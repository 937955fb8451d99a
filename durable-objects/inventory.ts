/**
 * InventoryDO: the authoritative stock of one variant (DESIGN.md "Inventory"). Its RPC surface —
 * reserve, commit, release, adjust, set, snapshot — arrives with the checkout issue (#4); the
 * class and its SQLite migration exist now so the binding and deploy config are final.
 */
import { DurableObject } from "cloudflare:workers";

export class InventoryDO extends DurableObject<Env> {}
