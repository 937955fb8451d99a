import * as z from "zod";

export type Role = "ADMIN" | "CUSTOMER";

/** zod's default email pattern lets a domain label end in "-" (a@a-.test), which no host name may. */
const EMAIL_PATTERN = /^(?!\.)(?!.*\.\.)[A-Za-z0-9_'+\-.]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}$/;
const Email = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email({ pattern: EMAIL_PATTERN }))
  .transform((e) => e.toLowerCase())
  // zod's piped email check leaves no trace in the document: say it.
  .openapi({ format: "email", example: "customer@edgeshop.local" });
const Password = z.string().min(8).max(128).openapi({ example: "customer-dev-password" });
const OpaqueToken = z.string().min(16).max(256);

export const RegisterBody = z
  .object({ email: Email, password: Password, name: z.string().trim().min(1).max(100) })
  .strict()
  .openapi("RegisterBody");
export type RegisterBody = z.infer<typeof RegisterBody>;

export const LoginBody = z
  .object({ email: Email, password: z.string().min(1).max(128) })
  .strict()
  .openapi("LoginBody");
export type LoginBody = z.infer<typeof LoginBody>;

export const RefreshBody = z.object({ refreshToken: OpaqueToken }).strict().openapi("RefreshBody");
export const ForgotPasswordBody = z.object({ email: Email }).strict().openapi("ForgotPasswordBody");
export const ResetPasswordBody = z
  .object({ token: OpaqueToken, password: Password })
  .strict()
  .openapi("ResetPasswordBody");

export const User = z
  .object({
    id: z.string(),
    email: z.string().openapi({ format: "email" }),
    name: z.string(),
    role: z.enum(["ADMIN", "CUSTOMER"]),
  })
  .openapi("User");
export type User = z.infer<typeof User>;

export const AuthSession = z
  .object({
    user: User,
    accessToken: z.string(),
    refreshToken: z.string(),
    expiresIn: z.number().int().openapi({ description: "Access token lifetime in seconds" }),
  })
  .openapi("AuthSession");
export type AuthSession = z.infer<typeof AuthSession>;
