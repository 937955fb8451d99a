/**
 * Bundles: a bundle product offers choice sets (min..max variants each); a cart line of a bundle
 * variant carries the shopper's selection, priced by the engine's priceBundle and reserved as its
 * components.
 */
import { notFound, validationError, type Issue } from "../../lib/errors";
import { newId } from "../../lib/ids";
import * as repo from "./repo";
import type { Bundle, BundleSelection, Component, PutBundleBody } from "./schemas";

const invalid = (path: string, message: string) => validationError([{ path, message }]);

function toBundle(productId: string, rows: repo.SetItemRow[]): Bundle {
  const sets = new Map<string, Bundle["sets"][number]>();
  for (const r of rows) {
    const set = sets.get(r.set_id) ?? { id: r.set_id, name: r.name, minChoices: r.min_choices, maxChoices: r.max_choices, items: [] };
    set.items.push({ variantId: r.variant_id, quantity: r.quantity });
    sets.set(r.set_id, set);
  }
  return { productId, sets: [...sets.values()] };
}

/** The bundle definition of a product (no sets: not a bundle). */
export async function getBundle(env: Env, productId: string): Promise<Bundle> {
  if (!(await repo.findProduct(env.DB, productId))) throw notFound("Product");
  return toBundle(productId, await repo.setItems(env.DB, productId));
}

async function checkComponents(env: Env, productId: string, body: PutBundleBody): Promise<void> {
  const issues: Issue[] = [];
  const ids = body.sets.flatMap((s) => s.items.map((i) => i.variantId));
  if (new Set(ids).size !== ids.length) issues.push({ path: "sets", message: "a variant may appear once across all sets" });
  body.sets.forEach((s, i) => {
    if (s.minChoices > s.maxChoices) issues.push({ path: `sets.${i}.minChoices`, message: "must not exceed maxChoices" });
    if (s.minChoices > s.items.length) issues.push({ path: `sets.${i}.minChoices`, message: "must not exceed the number of items" });
  });
  const live = new Map((await repo.liveComponentVariants(env.DB, [...new Set(ids)].slice(0, 90))).map((v) => [v.id, v]));
  for (const id of ids) {
    const v = live.get(id);
    if (!v) issues.push({ path: "sets", message: `variant ${id} does not exist` });
    else if (v.is_bundle === 1 || v.product_id === productId) issues.push({ path: "sets", message: `variant ${id} is part of a bundle` });
  }
  if (ids.length > 90) issues.push({ path: "sets", message: "a bundle offers at most 90 variants" });
  if (issues.length > 0) throw validationError(issues);
}

/** Defines (replaces) the product's choice sets and makes it a bundle. */
export async function putBundle(env: Env, productId: string, body: PutBundleBody, now = Date.now()): Promise<Bundle> {
  if (!(await repo.findProduct(env.DB, productId))) throw notFound("Product");
  await checkComponents(env, productId, body);
  const sets = body.sets.map((s) => ({ id: newId("bset", now), name: s.name, minChoices: s.minChoices, maxChoices: s.maxChoices, items: s.items }));
  await repo.replaceSets(env.DB, productId, sets, now);
  return getBundle(env, productId);
}

/** Checks a selection against the bundle's sets; answers the components of one bundle unit, sorted by variant. */
export async function resolveSelection(env: Env, productId: string, selection: BundleSelection): Promise<Component[]> {
  const bundle = await getBundle(env, productId);
  const offered = new Map(bundle.sets.flatMap((s) => s.items.map((i) => [i.variantId, { set: s, quantity: i.quantity }] as const)));
  const chosen = new Map<string, number>();
  for (const pick of selection) {
    const offer = offered.get(pick.variantId);
    if (!offer) throw invalid("bundleSelection", `variant ${pick.variantId} is not offered by this bundle`);
    if (chosen.has(pick.variantId)) throw invalid("bundleSelection", `variant ${pick.variantId} is chosen twice`);
    if (pick.quantity !== undefined && pick.quantity !== offer.quantity) throw invalid("bundleSelection", `variant ${pick.variantId} comes ${offer.quantity} at a time`);
    chosen.set(pick.variantId, offer.quantity);
  }
  for (const set of bundle.sets) {
    const count = set.items.filter((i) => chosen.has(i.variantId)).length;
    if (count < set.minChoices || count > set.maxChoices) {
      throw invalid("bundleSelection", `choose ${set.minChoices}–${set.maxChoices} from "${set.name}"`);
    }
  }
  return [...chosen.entries()].map(([variantId, quantity]) => ({ variantId, quantity })).sort((a, b) => (a.variantId < b.variantId ? -1 : 1));
}
