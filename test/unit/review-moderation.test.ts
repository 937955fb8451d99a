import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { moderate, normalizeWords } from "../../src/modules/reviews/moderation";
import { ratingDelta } from "../../src/modules/reviews/repo";

const review = (body: string, title = "A title") => moderate({ title, body });

describe("review moderation rules", () => {
  it("rejects a body with no letters or digits as empty", () => {
    for (const body of ["", "   ", "\n\t", "!!! ...", "😀😀"]) expect(review(body)).toEqual({ ok: false, reason: "empty" });
  });

  it("rejects abusive words in the title or the body, however they are disguised", () => {
    for (const body of ["This is shit", "FUCKING awful", "fuuuuck this", "sh1t product", "f u c k", "you bitches", "just kill yourself"]) {
      expect(review(body)).toEqual({ ok: false, reason: "abusive" });
    }
    expect(moderate({ title: "Total Sh!t, a Bastard", body: "Broke on day one." })).toEqual({ ok: false, reason: "abusive" });
  });

  it("keeps ordinary reviews, including words that merely contain an abusive one", () => {
    for (const body of [
      "Great mug, keeps coffee warm.",
      "Shipped to Scunthorpe, arrived in class-leading time.",
      "Reads like Dickens, assembly was easy.",
      "Cockpit-grade build quality; the assassin's creed of kettles.",
      "5 stars, would buy again!",
    ]) {
      expect(review(body)).toEqual({ ok: true });
    }
  });

  it("normalizes case, leetspeak, spelled-out letters and stretched letters", () => {
    expect(normalizeWords("H3LL000 W o r l d")).toEqual(["helo", "world"]);
  });

  it("never throws and always judges any text", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (title, body) => {
        const verdict = moderate({ title, body });
        expect(typeof verdict.ok).toBe("boolean");
      }),
    );
  });
});

describe("rating change of a review status transition", () => {
  it("adds on entering approved, removes on leaving it, and nothing otherwise", () => {
    expect(ratingDelta("pending", "approved")).toBe(1);
    expect(ratingDelta("rejected", "approved")).toBe(1);
    expect(ratingDelta("approved", "rejected")).toBe(-1);
    expect(ratingDelta("pending", "rejected")).toBe(0);
    expect(ratingDelta("approved", "approved")).toBe(0);
  });
});
