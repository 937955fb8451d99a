import { createRoute } from "@hono/zod-openapi";
import { errorResponses, jsonContent } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { ProductIdParam, Recommendations, RecommendationsQuery } from "./schemas";
import { readContext, sendCached } from "../catalog/http-cache";
import { getRecommendations } from "./service";
import { marketOf } from "../../http/middleware/market";
import { catalogMarketOf } from "../markets/context";

export const recommendationRoutes = createRouter();

recommendationRoutes.openapi(
  createRoute({
    method: "get",
    path: "/products/{id}/recommendations",
    tags: ["Store: recommendations"],
    summary: "Products often bought together with this one, then the category's best sellers (in stock only)",
    request: { params: ProductIdParam, query: RecommendationsQuery },
    responses: {
      200: {
        ...jsonContent(Recommendations, "At most `limit` products, best first"),
        headers: { "X-Cache": { description: "HIT-MEMORY, HIT-KV or MISS", schema: { type: "string" } } },
      },
      304: { description: "Not modified (If-None-Match matched the ETag)" },
      ...errorResponses(404, 422),
    },
  }),
  async (c) => sendCached(c, await getRecommendations(readContext(c), c.req.valid("param").id, c.req.valid("query").limit, catalogMarketOf(marketOf(c)))),
);
