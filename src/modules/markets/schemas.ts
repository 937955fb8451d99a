import * as z from "zod";

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
