/**
 * Email templates, text and HTML, as pure functions of their payload. Every interpolated value is
 * HTML-escaped; amounts are integer minor units formatted at the edge of the system only.
 */
export type RenderedEmail = { subject: string; text: string; html: string };

export type OrderEmailLine = { title: string; sku?: string; quantity: number; unitPrice: number; total: number };
export type OrderEmailPayload = {
  orderNumber: string;
  name?: string;
  currency: string;
  /** The shopper's language at checkout: amounts are formatted for it (e.g. "12,50 €" in de). */
  locale?: string;
  lines: OrderEmailLine[];
  totals: { subtotal: number; discount: number; shipping?: number; tax: number; total: number };
  trackingNumber?: string;
  refundAmount?: number;
};

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/**
 * An amount of minor units for people. With a locale, as that locale writes the currency
 * ("$1,234.50", "1.234,50 €", "£3.99"; the currency's own number of decimals, e.g. none for JPY);
 * without one, "1234.50 USD".
 */
export function formatMoney(amount: number, currency: string, locale?: string): string {
  if (locale) {
    try {
      const format = new Intl.NumberFormat(locale, { style: "currency", currency });
      const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
      return format.format(amount / 10 ** digits);
    } catch {
      // An unknown locale or currency falls back to the plain form below.
    }
  }
  const sign = amount < 0 ? "-" : "";
  const abs = Math.abs(amount);
  return `${sign}${(abs / 100).toFixed(2)} ${currency}`;
}

type Labels = { subtotal: string; discount: string; shipping: string; tax: string; total: string };
const LABELS: Record<string, Labels> = {
  en: { subtotal: "Subtotal", discount: "Discount", shipping: "Shipping", tax: "Tax", total: "Total" },
  de: { subtotal: "Zwischensumme", discount: "Rabatt", shipping: "Versand", tax: "MwSt.", total: "Gesamt" },
  fr: { subtotal: "Sous-total", discount: "Remise", shipping: "Livraison", tax: "TVA", total: "Total" },
};
const labelsFor = (locale: string | undefined) => LABELS[(locale ?? "en").split("-")[0]!.toLowerCase()] ?? LABELS.en!;

function layout(title: string, bodyHtml: string): string {
  return `<!doctype html><html><body style="font-family:system-ui,sans-serif;max-width:600px;margin:auto"><h1>${escapeHtml(title)}</h1>${bodyHtml}<p style="color:#888">Edgeshop</p></body></html>`;
}

function orderTable(p: OrderEmailPayload): { text: string; html: string } {
  const m = (n: number) => formatMoney(n, p.currency, p.locale);
  const label = labelsFor(p.locale);
  // Shipping shows only when the order has some (orders of goods nobody ships have none).
  const keys = (["subtotal", "discount", "shipping", "tax", "total"] as const).filter((k) => k !== "shipping" || (p.totals.shipping ?? 0) > 0);
  const value = (k: (typeof keys)[number]) => (k === "discount" ? -p.totals.discount : (p.totals[k] ?? 0));
  const text = [
    ...p.lines.map((l) => `${l.quantity} × ${l.title}${l.sku ? ` (${l.sku})` : ""} @ ${m(l.unitPrice)} = ${m(l.total)}`),
    "",
    ...keys.map((k) => `${label[k]}: ${m(value(k))}`),
  ].join("\n");
  const rows = p.lines
    .map((l) => `<tr><td>${l.quantity} × ${escapeHtml(l.title)}</td><td align="right">${escapeHtml(m(l.total))}</td></tr>`)
    .join("");
  const totals = keys.map((k) => `<tr><td>${escapeHtml(label[k])}</td><td align="right">${escapeHtml(m(value(k)))}</td></tr>`).join("");
  return { text, html: `<table width="100%">${rows}${totals}</table>` };
}

export function orderConfirmation(p: OrderEmailPayload): RenderedEmail {
  const table = orderTable(p);
  const greeting = `Hi${p.name ? ` ${p.name}` : ""}, thank you for your order ${p.orderNumber}.`;
  return {
    subject: `Order ${p.orderNumber} confirmed`,
    text: `${greeting}\n\n${table.text}\n`,
    html: layout(`Order ${p.orderNumber} confirmed`, `<p>${escapeHtml(greeting)}</p>${table.html}`),
  };
}

export function shippingUpdate(p: OrderEmailPayload): RenderedEmail {
  const tracking = p.trackingNumber ? ` Tracking number: ${p.trackingNumber}.` : "";
  const message = `Your order ${p.orderNumber} has shipped.${tracking}`;
  return { subject: `Order ${p.orderNumber} shipped`, text: `${message}\n`, html: layout("Your order is on its way", `<p>${escapeHtml(message)}</p>`) };
}

export function refundIssued(p: OrderEmailPayload): RenderedEmail {
  const amount = formatMoney(p.refundAmount ?? p.totals.total, p.currency, p.locale);
  const message = `We refunded ${amount} for order ${p.orderNumber}.`;
  return { subject: `Refund for order ${p.orderNumber}`, text: `${message}\n`, html: layout("Refund issued", `<p>${escapeHtml(message)}</p>`) };
}

export function passwordReset(p: { name?: string; token: string; expiresAt: string; resetUrl?: string }): RenderedEmail {
  const link = p.resetUrl ? `${p.resetUrl}?token=${encodeURIComponent(p.token)}` : null;
  const instruction = link ? `Open ${link} to choose a new password.` : `Use this code to choose a new password: ${p.token}`;
  const text = `Hi${p.name ? ` ${p.name}` : ""},\n\n${instruction}\nIt expires at ${p.expiresAt}. If you did not ask for this, ignore this email.\n`;
  return { subject: "Reset your Edgeshop password", text, html: layout("Reset your password", `<p>${escapeHtml(instruction)}</p><p>It expires at ${escapeHtml(p.expiresAt)}.</p>`) };
}

export function promotion(p: { subject: string; body: string; name?: string }): RenderedEmail {
  const text = `Hi${p.name ? ` ${p.name}` : ""},\n\n${p.body}\n\nYou receive this because you opted in to Edgeshop news; opt out any time in your account.\n`;
  return { subject: p.subject, text, html: layout(p.subject, `<p>${escapeHtml(p.body).replaceAll("\n", "<br>")}</p>`) };
}

/** To every admin when an outbound webhook endpoint was disabled after failing too long. */
export function webhookEndpointDisabled(p: { endpointId: string; url: string; failingSince: number | null }): RenderedEmail {
  const since = p.failingSince ? new Date(p.failingSince).toISOString() : "a while";
  const message = `The webhook endpoint ${p.endpointId} (${p.url}) has failed every delivery since ${since} and was disabled. Fix the receiver, then enable it again (PATCH /api/v1/admin/webhooks/${p.endpointId} {"status":"enabled"}) and redeliver what it missed.`;
  return { subject: `Webhook endpoint disabled: ${p.url}`, text: `${message}\n`, html: layout("Webhook endpoint disabled", `<p>${escapeHtml(message)}</p>`) };
}
