/**
 * What an operation does, read from its document before it runs: its root fields (through
 * fragments), whether they are all public catalog reads (then the answer is cacheable and
 * edge-cacheable), and the rate-limit policies it counts against.
 */
import { Kind, type FragmentDefinitionNode, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode } from "graphql";
import type { RouteGroup } from "../modules/rate-limit/policies";
import { rulesOf } from "./types";

function collect(set: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, into: string[], seen: Set<string>) {
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) into.push(selection.name.value);
    else if (selection.kind === Kind.INLINE_FRAGMENT) collect(selection.selectionSet, fragments, into, seen);
    else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = fragments.get(selection.name.value);
      if (fragment) collect(fragment.selectionSet, fragments, into, seen);
    }
  }
  return into;
}

/** Root field names, once per occurrence (aliases of one mutation run it twice and count twice). */
export const rootFields = (operation: OperationDefinitionNode, fragments: Map<string, FragmentDefinitionNode>) =>
  collect(operation.selectionSet, fragments, [], new Set());

function rootType(schema: GraphQLSchema, operation: OperationDefinitionNode) {
  return operation.operation === "mutation" ? schema.getMutationType() : schema.getQueryType();
}

/** A query of public fields only (introspection included): its answer is the same for everyone. */
export function isPublicRead(schema: GraphQLSchema, operation: OperationDefinitionNode, fields: string[]): boolean {
  if (operation.operation !== "query") return false;
  const root = schema.getQueryType()!.getFields();
  return fields.every((name) => name.startsWith("__") || rulesOf(root[name] ?? {}).access === "public");
}

/**
 * The policies a request counts against, as its REST twin would: a query is a store read by IP;
 * each mutation field counts once against its own policy, by the signed-in user.
 */
export function rateLimitGroups(schema: GraphQLSchema, operation: OperationDefinitionNode, fields: string[]): RouteGroup[] {
  if (operation.operation !== "mutation") return [{ policy: "storeRead", keyBy: "ip" }];
  const root = rootType(schema, operation)!.getFields();
  return fields.filter((name) => !name.startsWith("__")).map((name) => ({ policy: rulesOf(root[name] ?? {}).rateLimit ?? "default", keyBy: "user" }));
}
