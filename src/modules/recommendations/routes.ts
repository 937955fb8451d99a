import { createRoute } from "@hono/zod-openapi";
import { createRouter, errorResponses, jsonContent } from "../../http/openapi";
import { ProductIdParam, Recommendations, RecommendationsQuery } from "./schemas";
import { getRecommendations } from "./service";

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
        headers: { "X-Cache": { description: "HIT-KV or MISS", schema: { type: "string" } } },
      },
      ...errorResponses(404, 422),
    },
  }),
  async (c) => {
    const answer = await getRecommendations(c.env, c.req.valid("param").id, c.req.valid("query").limit);
    c.set("cacheStatus", answer.cache);
    c.header("X-Cache", answer.cache);
    return c.json(answer.value, 200);
  },
);
