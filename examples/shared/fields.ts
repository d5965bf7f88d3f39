import { z } from 'zod';

/**
 * The example shop's own registration fields, validated by its own zod schemas and stored
 * by gatehouse in `user.attributes`. Optional in the JSON API, validated when present.
 */
export const shopFields = {
  /** A national ID number such as `V-12345678` (Venezuelan cédula: V or E, 6–9 digits). */
  nationalId: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[VE]-?\d{6,9}$/, { error: 'Use V-12345678 or E-12345678.' })
    .transform((id) => (id.includes('-') ? id : `${id[0]}-${id.slice(1)}`))
    .optional(),
  /** A phone number in international form, e.g. `+58 412 1234567`. */
  phone: z
    .string()
    .trim()
    .regex(/^\+\d{1,3}[ -]?\d{3}[ -]?\d{6,8}$/, { error: 'Use the international form, e.g. +58 412 1234567.' })
    .optional(),
};
