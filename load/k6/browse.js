// Browse mix: list pages, search, categories and product detail — what most traffic looks like.
// k6 run -e BASE_URL=https://edgeshop.example.workers.dev load/k6/browse.js
import { check, sleep } from "k6";
import { json, productPage } from "./lib.js";

export const options = {
  scenarios: {
    browse: { executor: "ramping-vus", startVUs: 0, stages: [{ duration: "30s", target: 200 }, { duration: "2m", target: 1000 }, { duration: "30s", target: 0 }] },
  },
  thresholds: {
    http_req_failed: ["rate<0.01"],
    "http_req_duration{name:GET /api/v1/store/products}": ["p(95)<200", "p(99)<400"],
    "http_req_duration{name:GET /api/v1/store/products/:id}": ["p(95)<150", "p(99)<300"],
  },
};

const QUERIES = ["backpack", "mug", "wool", "lamp", "jacket"];

export default function () {
  const products = productPage(20);
  if (Math.random() < 0.3) check(json("GET", `/api/v1/store/products?q=${QUERIES[__ITER % QUERIES.length]}&sort=relevance`), { "search 200": (r) => r.status === 200 });
  if (Math.random() < 0.1) check(json("GET", "/api/v1/store/categories"), { "categories 200": (r) => r.status === 200 });
  for (const product of products.slice(0, 3)) {
    check(json("GET", `/api/v1/store/products/${product.slug}`), { "detail 200": (r) => r.status === 200 });
  }
  sleep(Math.random());
}
