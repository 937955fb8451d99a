import { describe, expect, it } from "vitest";
import { ORDER_STATUSES } from "../../src/db/enums";
import { CANCELLABLE, canTransition } from "../../src/modules/orders/state-machine";

describe("order state machine", () => {
  it("follows pending → confirmed → processing → shipped → delivered", () => {
    expect(canTransition("pending", "confirmed")).toBe(true);
    expect(canTransition("confirmed", "processing")).toBe(true);
    expect(canTransition("processing", "shipped")).toBe(true);
    expect(canTransition("shipped", "delivered")).toBe(true);
    expect(canTransition("delivered", "shipped")).toBe(false);
  });

  it("allows cancelling only before shipping", () => {
    expect(CANCELLABLE.sort()).toEqual(["confirmed", "pending", "processing"]);
  });

  it("never leaves a terminal status", () => {
    for (const to of ORDER_STATUSES) {
      expect(canTransition("cancelled", to)).toBe(false);
      expect(canTransition("refunded", to)).toBe(false);
    }
  });
});
