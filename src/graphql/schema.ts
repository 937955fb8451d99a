/**
 * The storefront schema: catalog fields for everyone, the shopper's fields behind a customer
 * token. Built once per isolate. Every root field declares its access (and mutations their
 * rate-limit policy); a `customer` field checks the token before anything else runs, so no
 * resolver can forget it. docs/schema.graphql is this schema printed (a test keeps them equal).
 */
import { GraphQLObjectType, GraphQLSchema, type GraphQLFieldConfigMap } from "graphql";
import { catalogQueries } from "./catalog";
import { requireUser, type GraphQLContext } from "./context";
import { shopperMutations, shopperQueries } from "./shopper";
import { rulesOf } from "./types";

function guarded(fields: GraphQLFieldConfigMap<unknown, GraphQLContext>): GraphQLFieldConfigMap<unknown, GraphQLContext> {
  return Object.fromEntries(
    Object.entries(fields).map(([name, config]) => {
      const rules = rulesOf(config);
      if (rules.access !== "public" && rules.access !== "customer") throw new TypeError(`root field ${name} declares no access`);
      if (rules.access === "public") return [name, config];
      const resolve = config.resolve!;
      return [name, { ...config, resolve: (root, args, context, info) => (requireUser(context), resolve(root, args, context, info)) }];
    }),
  );
}

export function buildSchema(): GraphQLSchema {
  return new GraphQLSchema({
    query: new GraphQLObjectType({ name: "Query", fields: () => guarded({ ...catalogQueries(), ...shopperQueries() }) }),
    mutation: new GraphQLObjectType({ name: "Mutation", fields: () => guarded(shopperMutations()) }),
  });
}

let built: GraphQLSchema | undefined;

/** The schema, built on first use (startup time stays low for requests that never touch /graphql). */
export function storefrontSchema(): GraphQLSchema {
  built ??= buildSchema();
  return built;
}
