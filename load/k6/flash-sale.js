// Flash sale on one SKU: many shoppers race for little stock. Passes when nothing is oversold:
// orders placed never exceed the stock the admin set, and every loser gets 409, never a 5xx.
// k6 run -e BASE_URL=... -e ADMIN_TOKEN=... -e VARIANT_ID=var_... -e STOCK=100 load/k6/flash-sale.js
import { check } from "k6";
import { Counter } from "k6/metrics";
import { json, registerShopper, uuid } from "./lib.js";

const won = new Counter("flash_sale_orders");
const lost = new Counter("flash_sale_sold_out");
const STOCK = Number(__ENV.STOCK || 100);

export const options = {
  scenarios: { rush: { executor: "shared-iterations", vus: 300, iterations: STOCK * 5, maxDuration: "3m" } },
  thresholds: {
    "http_req_failed{expected_response:true}": ["rate<0.01"],
    flash_sale_orders: [`count<=${STOCK}`],
    "checks{check:no 5xx}": ["rate==1"],
  },
};

export function setup() {
  const res = json("PUT", `/api/v1/admin/inventory/${__ENV.VARIANT_ID}`, { onHand: STOCK }, __ENV.ADMIN_TOKEN);
  if (res.status !== 200) throw new Error(`could not set stock: ${res.status}`);
}

export default function () {
  const token = registerShopper("flash");
  if (!token) return;
  json("POST", "/api/v1/store/cart/items", { variantId: __ENV.VARIANT_ID, quantity: 1 }, token);
  const checkout = json("POST", "/api/v1/store/checkouts", {}, token, { "Idempotency-Key": uuid() });
  check(checkout, { "no 5xx": (r) => r.status < 500 });
  if (checkout.status === 409) return lost.add(1);
  if (checkout.status !== 201) return;
  const paid = json("POST", `/api/v1/store/checkouts/${checkout.json("id")}/payment`, { provider: "test", token: "tok_success" }, token);
  check(paid, { "no 5xx": (r) => r.status < 500 });
  if (paid.status === 200) won.add(1);
}

export function teardown() {
  const level = json("GET", `/api/v1/admin/inventory/${__ENV.VARIANT_ID}`, undefined, __ENV.ADMIN_TOKEN);
  check(level, { "stock never negative": (r) => r.json("onHand") >= 0 && r.json("available") >= 0 });
}
