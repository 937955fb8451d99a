import * as z from "zod";
import { PageQuery, pageOf } from "../../http/openapi";
import { Address, AddressFields } from "../markets/schemas";

/** The most addresses one customer keeps. */
export const MAX_ADDRESSES = 50;

export const AddressBookEntry = Address.extend({ id: z.string() }).openapi("AddressBookEntry");
export type AddressBookEntry = z.infer<typeof AddressBookEntry>;
export const AddressPage = pageOf(AddressBookEntry).openapi("AddressPage");
export const CreateAddressBody = AddressFields.openapi("CreateAddressBody");
export const UpdateAddressBody = AddressFields.partial().strict().openapi("UpdateAddressBody");
export type UpdateAddressBody = z.infer<typeof UpdateAddressBody>;
export const AddressParam = z.object({ id: z.string().min(1).max(64) });
export const AddressListQuery = PageQuery;
