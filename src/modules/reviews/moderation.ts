/**
 * Automatic review moderation: simple, predictable rules that reject empty or abusive text at
 * submission. Everything else waits for an admin; these rules never approve anything.
 */
export type ModerationVerdict = { ok: true } | { ok: false; reason: "empty" | "abusive" };

// Whole words only (after normalizing), so "Scunthorpe", "class" or "Dickens" stay clean.
const ABUSIVE_WORDS = new Set([
  "dick", "dicks", "whore", "whores", "slut", "sluts", "bastard", "bastards", "twat", "twats", "kys",
  "wanker", "wankers",
]);
// Stems whose every continuation is abusive too ("fucking", "shitty", "bitches").
const ABUSIVE_STEMS = ["fuck", "motherfuck", "cunt", "shit", "bitch", "asshole", "faggot", "retard", "nigger"];
const ABUSIVE_PHRASES = ["kill yourself", "go die"];

const LEET: Record<string, string> = { "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", $: "s" };

/** Runs of one letter count once ("fuuuck"), so stretched spellings match their word. */
const collapseRuns = (word: string) => word.replace(/(.)\1+/g, "$1");

const STEMS = ABUSIVE_STEMS.map(collapseRuns);
const WORDS = new Set([...ABUSIVE_WORDS].map(collapseRuns));
const PHRASES = ABUSIVE_PHRASES.map((p) => p.split(" ").map(collapseRuns).join(" "));

/** Lowercased letter words, leetspeak undone, and spelled-out letters ("f u c k") joined back. */
export function normalizeWords(text: string): string[] {
  // "!" stands for "i" only inside a word ("sh!t"), never as the punctuation ending one.
  const lowered = text.normalize("NFKD").toLowerCase().replace(/(?<=[a-z0-9])!(?=[a-z0-9])/g, "i");
  const mapped = [...lowered].map((ch) => LEET[ch] ?? ch).join("");
  const tokens = mapped.replace(/[\u0300-\u036f]/g, "").split(/[^a-z]+/).filter(Boolean);
  const words: string[] = [];
  let letters = "";
  for (const token of tokens) {
    if (token.length === 1) {
      letters += token;
      continue;
    }
    if (letters) words.push(letters);
    letters = "";
    words.push(token);
  }
  if (letters) words.push(letters);
  return words.map(collapseRuns);
}

function isAbusive(text: string): boolean {
  const words = normalizeWords(text);
  if (words.some((w) => WORDS.has(w) || STEMS.some((stem) => w.startsWith(stem)))) return true;
  const joined = ` ${words.join(" ")} `;
  return PHRASES.some((phrase) => joined.includes(` ${phrase} `));
}

/** Judges a submitted review: empty body text or abusive title/body is rejected at once. */
export function moderate(input: { title: string; body: string }): ModerationVerdict {
  if (!/[\p{L}\p{N}]/u.test(input.body)) return { ok: false, reason: "empty" };
  if (isAbusive(input.title) || isAbusive(input.body)) return { ok: false, reason: "abusive" };
  return { ok: true };
}
