// Checkout mix: register, add to cart, check out with an Idempotency-Key, pay with the test provider.
// k6 run -e BASE_URL=... load/k6/checkout.js   (the deployment must allow PAYMENT_PROVIDER=test)
import { check, sleep } from "k6";
import { json, productPage, registerShopper, uuid } from "./lib.js";

export const options = {
  scenarios: { shoppers: { executor: "constant-arrival-rate", rate: 20, timeUnit: "1s", duration: "2m", preAllocatedVUs: 50, maxVUs: 200 } },
  thresholds: {
    http_req_failed: ["rate<0.02"],
    "http_req_duration{name:POST /api/v1/store/checkouts}": ["p(95)<800"],
    "http_req_duration{name:POST /api/v1/store/checkouts/:id/payment}": ["p(95)<1000"],
    checks: ["rate>0.97"],
  },
};

export default function () {
  const token = registerShopper("checkout");
  if (!token) return;
  const products = productPage(50);
  const product = products[Math.floor(Math.random() * products.length)];
  const variant = product && product.variants.find((v) => v.available > 0);
  if (!variant) return;
  check(json("POST", "/api/v1/store/cart/items", { variantId: variant.id, quantity: 1 }, token), { "added": (r) => r.status === 201 });
  const checkout = json("POST", "/api/v1/store/checkouts", {}, token, { "Idempotency-Key": uuid() });
  check(checkout, { "checkout 201 or 409": (r) => r.status === 201 || r.status === 409 });
  if (checkout.status !== 201) return;
  const paid = json("POST", `/api/v1/store/checkouts/${checkout.json("id")}/payment`, { provider: "test", token: "tok_success" }, token);
  check(paid, { "paid": (r) => r.status === 200 && r.json("state") === "COMPLETED" });
  sleep(1);
}
