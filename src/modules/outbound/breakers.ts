/**
 * One circuit breaker per outbound provider (`email:<provider>`, `payment:<provider>`), shared by
 * every caller in the isolate. Transitions are logged; admins see the states at
 * GET /api/v1/admin/circuit-breakers.
 */
import { createLogger } from "../../lib/log";
import { BreakerRegistry } from "../../lib/circuit-breaker";

export const outboundBreakers = new BreakerRegistry({ failureThreshold: 5, cooldownMs: 30_000 }, (name, from, to) =>
  createLogger().warn("circuit_breaker_transition", { breaker: name, from, to: to.state, openUntil: to.openUntil }),
);
