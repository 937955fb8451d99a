import * as z from "zod";
import { SHIPPING_KINDS } from "../../db/enums";
import { MoneySchema } from "../../http/openapi";
import { isCountryCode } from "../../lib/countries";

export const CountryCode = z
  .string()
  .trim()
  .toUpperCase()
  .refine(isCountryCode, "must be an ISO 3166-1 alpha-2 country code")
  .openapi({ description: "ISO 3166-1 alpha-2", example: "DE" });
export const CurrencyCode = z.string().regex(/^[A-Z]{3}$/, "ISO 4217 code in capitals").openapi({ example: "EUR" });
export const RegionCode = z.string().regex(/^[A-Z0-9][A-Z0-9_-]{0,15}$/, "capitals, digits, - or _ (at most 16)").openapi({ example: "EU" });
/** A BCP 47 language tag such as "de" or "pt-BR". */
export const LocaleTag = z.string().regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$/, "a language tag such as de or pt-BR");
/** A tax category names a kind of goods ("standard", "reduced", "zero"); "shipping" taxes shipping charges. */
export const TaxCategory = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, "lowercase word").openapi({ example: "standard" });

export const Region = z
  .object({
    code: z.string(),
    name: z.string(),
    currency: z.string().length(3),
    countries: z.array(z.string().length(2)).openapi({ description: "ISO 3166-1 alpha-2 codes" }),
    taxInclusive: z.boolean(),
  })
  .openapi("Region");
export type Region = z.infer<typeof Region>;

export const AdminRegion = Region.extend({ isDefault: z.boolean(), position: z.number().int(), version: z.number().int() }).openapi("AdminRegion");
export type AdminRegion = z.infer<typeof AdminRegion>;

export const CreateRegionBody = z
  .object({
    code: RegionCode,
    name: z.string().trim().min(1).max(100),
    currency: CurrencyCode,
    countries: z.array(CountryCode).max(250).default([]),
    taxInclusive: z.boolean().default(false),
    isDefault: z.boolean().default(false),
    position: z.number().int().min(0).max(10_000).default(0),
  })
  .strict()
  .openapi("CreateRegionBody");
export type CreateRegionBody = z.infer<typeof CreateRegionBody>;

export const UpdateRegionBody = z
  .object({
    name: z.string().trim().min(1).max(100),
    currency: CurrencyCode,
    countries: z.array(CountryCode).max(250),
    taxInclusive: z.boolean(),
    isDefault: z.literal(true).openapi({ description: "Makes this the default region (the previous one stops being it)" }),
    position: z.number().int().min(0).max(10_000),
  })
  .partial()
  .strict()
  .openapi("UpdateRegionBody");
export type UpdateRegionBody = z.infer<typeof UpdateRegionBody>;

export const RegionParam = z.object({ code: RegionCode });

export const TaxRate = z
  .object({
    id: z.string(),
    countryCode: z.string(),
    provinceCode: z.string().nullable().openapi({ description: "null: the whole country" }),
    taxCategory: z.string(),
    rateBps: z.number().int(),
    name: z.string(),
  })
  .openapi("TaxRate");
export type TaxRate = z.infer<typeof TaxRate>;

export const CreateTaxRateBody = z
  .object({
    countryCode: CountryCode,
    provinceCode: z.string().trim().toUpperCase().regex(/^[A-Z0-9]{1,3}$/, "ISO 3166-2 subdivision part, e.g. CA").nullable().default(null),
    taxCategory: TaxCategory.default("standard"),
    rateBps: z.number().int().min(0).max(10_000),
    name: z.string().trim().min(1).max(100),
  })
  .strict()
  .openapi("CreateTaxRateBody");
export type CreateTaxRateBody = z.infer<typeof CreateTaxRateBody>;
export const UpdateTaxRateBody = z
  .object({ rateBps: z.number().int().min(0).max(10_000), name: z.string().trim().min(1).max(100) })
  .partial()
  .strict()
  .openapi("UpdateTaxRateBody");
export type UpdateTaxRateBody = z.infer<typeof UpdateTaxRateBody>;

const Amount = z.number().int().min(0).max(100_000_000);
export const WeightRate = z.object({ maxGrams: z.number().int().min(1).max(10_000_000), amount: Amount }).strict();

export const ShippingMethod = z
  .object({
    id: z.string(),
    regionCode: z.string(),
    name: z.string(),
    kind: z.enum(SHIPPING_KINDS),
    amount: z.number().int().openapi({ description: "Flat kind: the charge, in minor units of the region's currency" }),
    weightRates: z.array(z.object({ maxGrams: z.number().int(), amount: z.number().int() })).openapi({ description: "Weight kind: the charge of the first row the cart's weight fits under" }),
    freeOver: z.number().int().nullable().openapi({ description: "Free when the goods (after discounts) reach this amount" }),
    estimatedDays: z.number().int().nullable(),
    countries: z.array(z.string()).openapi({ description: "Limits the method to these of the region's countries; empty = all" }),
    status: z.enum(["active", "inactive"]),
    position: z.number().int(),
  })
  .openapi("ShippingMethod");
export type ShippingMethod = z.infer<typeof ShippingMethod>;

const shippingFields = {
  name: z.string().trim().min(1).max(100),
  kind: z.enum(SHIPPING_KINDS),
  amount: Amount,
  weightRates: z.array(WeightRate).max(50),
  freeOver: Amount.nullable(),
  estimatedDays: z.number().int().min(0).max(365).nullable(),
  countries: z.array(CountryCode).max(250),
  status: z.enum(["active", "inactive"]),
  position: z.number().int().min(0).max(10_000),
};

/** Weight rates must rise with the weight, so "the first row the cart fits under" is well defined. */
const ascendingRates = (rates: { maxGrams: number }[] | undefined) => !rates || rates.every((r, i) => i === 0 || r.maxGrams > rates[i - 1]!.maxGrams);

export const CreateShippingMethodBody = z
  .object({
    regionCode: RegionCode,
    ...shippingFields,
    kind: shippingFields.kind.default("flat"),
    amount: Amount.default(0),
    weightRates: shippingFields.weightRates.default([]),
    freeOver: shippingFields.freeOver.default(null),
    estimatedDays: shippingFields.estimatedDays.default(null),
    countries: shippingFields.countries.default([]),
    status: shippingFields.status.default("active"),
    position: shippingFields.position.default(0),
  })
  .strict()
  .refine((b) => b.kind !== "weight" || b.weightRates.length > 0, { message: "a weight method needs weightRates", path: ["weightRates"] })
  .refine((b) => ascendingRates(b.weightRates), { message: "maxGrams must rise from row to row", path: ["weightRates"] })
  .openapi("CreateShippingMethodBody");
export type CreateShippingMethodBody = z.infer<typeof CreateShippingMethodBody>;

export const UpdateShippingMethodBody = z
  .object(shippingFields)
  .partial()
  .strict()
  .refine((b) => ascendingRates(b.weightRates), { message: "maxGrams must rise from row to row", path: ["weightRates"] })
  .openapi("UpdateShippingMethodBody");
export type UpdateShippingMethodBody = z.infer<typeof UpdateShippingMethodBody>;

export const ShippingMethodQuery = z.object({ region: RegionCode.optional() });
export const IdParam = z.object({ id: z.string().min(1).max(64) });

/** What a shopper sees of a method: its charge for this cart, in the cart's currency. */
export const ShippingOption = z
  .object({ id: z.string(), name: z.string(), amount: MoneySchema, estimatedDays: z.number().int().nullable() })
  .openapi("ShippingOption");
export type ShippingOption = z.infer<typeof ShippingOption>;

export const AddressFields = z
  .object({
    firstName: z.string().trim().min(1).max(100),
    lastName: z.string().trim().min(1).max(100),
    line1: z.string().trim().min(1).max(200),
    line2: z.string().trim().max(200).nullable().optional(),
    city: z.string().trim().min(1).max(100),
    postalCode: z.string().trim().min(1).max(20),
    province: z.string().trim().toUpperCase().max(10).nullable().optional().openapi({ description: "State or province code, e.g. CA" }),
    countryCode: CountryCode,
    phone: z.string().trim().max(40).nullable().optional(),
  })
  .strict();
export const AddressInput = AddressFields.openapi("AddressInput");
export type AddressInput = z.infer<typeof AddressInput>;

export const Address = z
  .object({
    id: z.string().nullable().openapi({ description: "The address book entry it was copied from, if any" }),
    firstName: z.string(),
    lastName: z.string(),
    line1: z.string(),
    line2: z.string().nullable(),
    city: z.string(),
    postalCode: z.string(),
    province: z.string().nullable(),
    countryCode: z.string(),
    phone: z.string().nullable(),
  })
  .openapi("Address");
export type Address = z.infer<typeof Address>;

/** PUT /cart/shipping-address: an address book entry, or an address written out. */
export const ShippingAddressBody = z
  .object({ addressId: z.string().min(1).max(64).optional(), address: AddressInput.optional() })
  .strict()
  .refine((b) => (b.addressId === undefined) !== (b.address === undefined), { message: "give exactly one of addressId and address", path: ["addressId"] })
  .openapi("ShippingAddressBody");
export type ShippingAddressBody = z.infer<typeof ShippingAddressBody>;

export const ShippingMethodBody = z.object({ shippingMethodId: z.string().min(1).max(64) }).strict().openapi("ShippingMethodBody");

/** The method chosen for a cart, checkout or order, with what it charged. */
export const ChosenShipping = z
  .object({ id: z.string(), name: z.string(), amount: MoneySchema, estimatedDays: z.number().int().nullable() })
  .openapi("ChosenShippingMethod");
export type ChosenShipping = z.infer<typeof ChosenShipping>;

export const TranslationBody = z
  .object({ title: z.string().trim().min(1).max(200), description: z.string().max(10_000).nullable().optional() })
  .strict()
  .openapi("TranslationBody");
export type TranslationBody = z.infer<typeof TranslationBody>;

export const Translation = z.object({ locale: z.string(), title: z.string(), description: z.string().nullable() }).openapi("Translation");
export type Translation = z.infer<typeof Translation>;

export const TranslationParam = z.object({ id: z.string().min(1).max(64), locale: LocaleTag });
