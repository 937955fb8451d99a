import * as z from "zod";
import { MoneySchema } from "../../http/openapi";
import { BundleSelection } from "../bundles/schemas";
import { Address, ChosenShipping } from "../markets/schemas";
import { REJECTION_REASONS } from "../pricing/types";

/** The most units of one variant a cart line may hold. */
export const MAX_LINE_QUANTITY = 100;
/** The most distinct lines a cart may hold. */
export const MAX_CART_LINES = 50;

export const CartItem = z
  .object({
    id: z.string(),
    variantId: z.string(),
    sku: z.string(),
    title: z.string(),
    quantity: z.number().int(),
    unitPrice: MoneySchema,
    /** unitPrice × quantity − discount. */
    lineTotal: MoneySchema,
    discount: MoneySchema,
    tax: MoneySchema,
    /** The line's share of the cart total: lineTotal, plus tax when prices exclude it. */
    total: MoneySchema,
    /** For a bundle: the components of one unit. */
    bundleSelection: z.array(z.object({ variantId: z.string(), quantity: z.number().int() })).nullable(),
  })
  .openapi("CartItem");

/** total = subtotal − discount + shipping (+ tax when the region's prices exclude it). */
export const TotalsSchema = z
  .object({ subtotal: MoneySchema, discount: MoneySchema, shipping: MoneySchema, tax: MoneySchema, total: MoneySchema })
  .openapi("Totals");

/** Totals of a cart or checkout, with what its gift cards and store credit pay and what is left to charge. */
export const PayableTotals = TotalsSchema.extend({
  giftCard: MoneySchema.openapi({ description: "Paid by gift cards" }),
  storeCredit: MoneySchema.openapi({ description: "Paid by store credit" }),
  amountDue: MoneySchema.openapi({ description: "What the payment provider charges: total − giftCard − storeCredit" }),
}).openapi("PayableTotals");

export const AppliedGiftCard = z.object({ last4: z.string(), amount: MoneySchema.openapi({ description: "What the card pays of this cart" }) }).openapi("AppliedGiftCard");

export const AppliedCode = z.object({ code: z.string(), amount: MoneySchema }).openapi("AppliedDiscountCode");
export const AutomaticDiscount = z.object({ title: z.string(), amount: MoneySchema }).openapi("AutomaticDiscount");

export const Cart = z
  .object({
    id: z.string(),
    items: z.array(CartItem),
    /** Entered codes that apply, with what each takes off. */
    discounts: z.array(AppliedCode),
    /** Discounts that apply without a code. */
    automaticDiscounts: z.array(AutomaticDiscount),
    /** Codes stored on the cart that do not apply now, and why (they apply again once they fit). */
    inactiveCodes: z.array(z.object({ code: z.string(), reason: z.enum(REJECTION_REASONS) })),
    /** The region the cart prices in (its currency and tax mode). */
    region: z.string(),
    /** Whether anything in the cart ships (then checkout needs an address and a method). */
    requiresShipping: z.boolean(),
    shippingAddress: Address.nullable(),
    /** The chosen method while it fits the cart, with what it charges it. */
    shippingMethod: ChosenShipping.nullable(),
    /** Gift cards entered on the cart and what each would pay now (held when the checkout locks). */
    giftCards: z.array(AppliedGiftCard),
    /** Whether the customer's store credit pays (what it would pay is `totals.storeCredit`). */
    usesStoreCredit: z.boolean(),
    totals: PayableTotals,
  })
  .openapi("Cart");
export type Cart = z.infer<typeof Cart>;

export const AddCartItemBody = z
  .object({
    variantId: z.string().min(1).max(64),
    quantity: z.number().int().min(1).max(MAX_LINE_QUANTITY),
    /** Required for a bundle variant: the components chosen from its sets. */
    bundleSelection: BundleSelection.optional(),
  })
  .strict();
export type AddCartItemBody = z.infer<typeof AddCartItemBody>;

export const UpdateCartItemBody = z.object({ quantity: z.number().int().min(1).max(MAX_LINE_QUANTITY) }).strict();

export const ItemParam = z.object({ itemId: z.string().min(1).max(64) });

/** The most codes one cart may hold. */
export const MAX_CART_CODES = 5;

export const AddDiscountBody = z.object({ code: z.string().trim().min(1).max(64) }).strict();
export const CodeParam = z.object({ code: z.string().min(1).max(64) });
