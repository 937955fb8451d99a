/**
 * The signed-in shopper's fields: cart, checkout and orders. Every one needs a customer token
 * (as `requireAuth` on the REST routes), validates its arguments with the REST zod schemas and
 * calls the same service, so ownership is the services' own: another customer's order, checkout
 * or cart item is NOT_FOUND, exactly as an id that does not exist.
 */
import { GraphQLList, GraphQLNonNull, type GraphQLFieldConfigMap } from "graphql";
import { PageQuery } from "../http/openapi";
import { AddCartItemBody, AddDiscountBody, Cart, CodeParam, ItemParam, UpdateCartItemBody } from "../modules/cart/schemas";
import * as carts from "../modules/cart/service";
import { payCheckout } from "../modules/checkout/payment";
import { Checkout, CheckoutParam, CreateCheckoutBody, IdempotencyHeaders, PaymentBody } from "../modules/checkout/schemas";
import { createCheckout, getCheckout } from "../modules/checkout/service";
import { Order, OrderParam } from "../modules/orders/schemas";
import * as shipping from "../modules/markets/cart-service";
import { AddressInput, ShippingMethodBody, ShippingOption } from "../modules/markets/schemas";
import * as z from "zod";
import { getOrder, listOrders } from "../modules/orders/service";
import { requireUser, type GraphQLContext } from "./context";
import { argsFrom, maxOf, parseArgs } from "./from-zod";
import { connectionOf, types, withRules } from "./types";

const PAGE_ARGS = { limit: "first", cursor: "after" };
const KEY_ARG = { "idempotency-key": "idempotencyKey" };
const UpdateItemArgs = ItemParam.extend(UpdateCartItemBody.shape);
const CreateCheckoutArgs = IdempotencyHeaders.extend(CreateCheckoutBody.shape);
// API.md fixes `token: String!`; the test provider needs one, a Stripe-like provider ignores it.
const PayArgs = CheckoutParam.extend({ token: PaymentBody.shape.token.unwrap() });
// PUT /cart/shipping-address's body, as two optional arguments (GraphQL has no input unions).
const ShippingAddressArgs = z
  .object({ addressId: z.string().min(1).max(64).optional(), address: AddressInput.optional() })
  .strict()
  .refine((b) => (b.addressId === undefined) !== (b.address === undefined), { message: "give exactly one of addressId and address", path: ["addressId"] });

export const OrderConnection = connectionOf(types.object(Order));

/** The keyset cursor the orders service reads (`<createdAt ms>:<id>`), for every edge of a page. */
export const orderCursor = (order: Order) => `${Date.parse(order.createdAt)}:${order.id}`;

/**
 * The one call into payments. The server picks the provider (PAYMENT_PROVIDER); the shopper only
 * hands over a token, so the GraphQL mutation has no provider argument to choose with.
 */
function payWithServerProvider(context: GraphQLContext, customerId: string, id: string, token: string) {
  const body = parseArgs(PaymentBody, { token });
  // The order.placed message and the COMPLETED mark go out after the answer, as in REST (finalize stays resumable by the sweep).
  return payCheckout(context.env, customerId, id, body, context.requestId, Date.now(), context.defer);
}

const customer = { access: "customer" } as const;
const cart = new GraphQLNonNull(types.object(Cart));
const checkout = new GraphQLNonNull(types.object(Checkout));

export const shopperQueries = (): GraphQLFieldConfigMap<unknown, GraphQLContext> => ({
  cart: withRules(customer, {
    type: types.object(Cart),
    description: "The customer's active cart (created on demand).",
    resolve: (_root, _args, context) => carts.getCart(context.env, requireUser(context), context.market),
  }),
  shippingMethods: withRules(customer, {
    type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(types.object(ShippingOption, "ShippingOption")))),
    description: "The shipping methods that can ship the cart to its address, with their charge for it.",
    resolve: async (_root, _args, context) => (await shipping.shippingOptions(context.env, requireUser(context), context.market)).options,
  }),
  orders: withRules(
    { ...customer, maxFirst: maxOf(PageQuery.shape.limit) },
    {
      type: new GraphQLNonNull(OrderConnection),
      description: "The customer's own orders, newest first.",
      args: argsFrom(PageQuery, { rename: PAGE_ARGS }),
      resolve: async (_root, args, context) => {
        const customerId = requireUser(context);
        const page = await listOrders(context.env, { customerId }, parseArgs(PageQuery, args, PAGE_ARGS));
        const edges = page.data.map((order) => ({ cursor: orderCursor(order), node: order }));
        return { edges, pageInfo: { hasNextPage: page.nextCursor !== null, endCursor: edges.at(-1)?.cursor ?? null } };
      },
    },
  ),
  order: withRules(customer, {
    type: types.object(Order),
    description: "One of the customer's own orders; null with NOT_FOUND for any other id.",
    args: argsFrom(OrderParam),
    resolve: (_root, args, context) => getOrder(context.env, parseArgs(OrderParam, args).id, requireUser(context)),
  }),
  checkout: withRules(customer, {
    type: types.object(Checkout),
    description: "One of the customer's own checkouts; null with NOT_FOUND for any other id.",
    args: argsFrom(CheckoutParam),
    resolve: (_root, args, context) => getCheckout(context.env, requireUser(context), parseArgs(CheckoutParam, args).id),
  }),
});

export const shopperMutations = (): GraphQLFieldConfigMap<unknown, GraphQLContext> => ({
  addToCart: withRules(
    { ...customer, rateLimit: "cart" },
    {
      type: cart,
      description: "Adds a variant; adding one already in the cart adds to its quantity.",
      args: argsFrom(AddCartItemBody),
      resolve: (_root, args, context) => carts.addItem(context.env, requireUser(context), parseArgs(AddCartItemBody, args), Date.now(), context.market),
    },
  ),
  updateCartItem: withRules(
    { ...customer, rateLimit: "cart" },
    {
      type: cart,
      args: argsFrom(UpdateItemArgs),
      resolve: (_root, args, context) => {
        const { itemId, quantity } = parseArgs(UpdateItemArgs, args);
        return carts.updateItem(context.env, requireUser(context), itemId, quantity, Date.now(), context.market);
      },
    },
  ),
  removeCartItem: withRules(
    { ...customer, rateLimit: "cart" },
    {
      type: cart,
      args: argsFrom(ItemParam),
      resolve: (_root, args, context) => carts.removeItem(context.env, requireUser(context), parseArgs(ItemParam, args).itemId, Date.now(), context.market),
    },
  ),
  applyDiscount: withRules(
    { ...customer, rateLimit: "cart" },
    {
      type: cart,
      description: "Enters a discount code (case-insensitive); VALIDATION_ERROR with details.reason when it does not apply.",
      args: argsFrom(AddDiscountBody),
      resolve: (_root, args, context) => carts.addDiscountCode(context.env, requireUser(context), parseArgs(AddDiscountBody, args).code, Date.now(), context.market),
    },
  ),
  removeDiscount: withRules(
    { ...customer, rateLimit: "cart" },
    {
      type: cart,
      args: argsFrom(CodeParam),
      resolve: (_root, args, context) => carts.removeDiscountCode(context.env, requireUser(context), parseArgs(CodeParam, args).code, Date.now(), context.market),
    },
  ),
  setShippingAddress: withRules(
    { ...customer, rateLimit: "cart" },
    {
      type: cart,
      description: "Where the cart ships: an address book entry (addressId) or an address written out; the cart keeps a copy.",
      args: argsFrom(ShippingAddressArgs),
      resolve: (_root, args, context) => shipping.setShippingAddress(context.env, requireUser(context), parseArgs(ShippingAddressArgs, args), context.market),
    },
  ),
  setShippingMethod: withRules(
    { ...customer, rateLimit: "cart" },
    {
      type: cart,
      description: "Chooses how the cart ships (one of shippingMethods); adds totals.shipping.",
      args: argsFrom(ShippingMethodBody),
      resolve: (_root, args, context) => shipping.setShippingMethod(context.env, requireUser(context), parseArgs(ShippingMethodBody, args).shippingMethodId, context.market),
    },
  ),
  createCheckout: withRules(
    { ...customer, rateLimit: "checkout" },
    {
      type: checkout,
      description: "Locks the cart (price snapshot, stock reserved). The same key and arguments replay the same checkout.",
      args: argsFrom(CreateCheckoutArgs, { rename: KEY_ARG }),
      resolve: (_root, args, context) => {
        const { "idempotency-key": key, ...body } = parseArgs(CreateCheckoutArgs, args, KEY_ARG);
        return createCheckout(context.env, requireUser(context), key, body, Date.now(), context.market);
      },
    },
  ),
  payCheckout: withRules(
    { ...customer, rateLimit: "checkout" },
    {
      type: checkout,
      description: "Pays a locked checkout with the server's payment provider; on success the order is placed (orderId).",
      args: argsFrom(PayArgs),
      resolve: (_root, args, context) => {
        const { id, token } = parseArgs(PayArgs, args);
        return payWithServerProvider(context, requireUser(context), id, token);
      },
    },
  ),
});
