// Rate-limit probe: one client hammers a store read and must see 429 with Retry-After and the
// RateLimit headers once over the policy — and never a 5xx.
// k6 run -e BASE_URL=... -e LIMIT=300 load/k6/rate-limit-probe.js
import { check } from "k6";
import { Counter } from "k6/metrics";
import { json } from "./lib.js";

const limited = new Counter("rate_limited_responses");
const passed = new Counter("passed_responses");
const LIMIT = Number(__ENV.LIMIT || 300);

export const options = {
  scenarios: { probe: { executor: "shared-iterations", vus: 10, iterations: LIMIT * 2, maxDuration: "50s" } },
  thresholds: {
    rate_limited_responses: ["count>0"],
    passed_responses: [`count<=${LIMIT}`],
    "checks{check:well-formed 429}": ["rate==1"],
  },
};

export default function () {
  const res = json("GET", "/api/v1/store/categories");
  if (res.status === 429) {
    limited.add(1);
    check(res, {
      "well-formed 429": (r) => Boolean(r.headers["Retry-After"]) && Boolean(r.headers["Ratelimit"] || r.headers["RateLimit"]) && r.json("error.code") === "RATE_LIMITED",
    });
  } else {
    passed.add(1);
    check(res, { "no 5xx": (r) => r.status < 500 });
  }
}
