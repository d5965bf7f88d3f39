import { z } from 'zod';

/** Venezuelan mobile prefixes (seed 001's `ve_phone`): Movilnet 0416/0426, Movistar 0414/0424, Digitel 0412. */
export const MOBILE_PREFIXES = ['412', '414', '416', '424', '426'] as const;

/**
 * A cédula as seed 001's `ve_ci` rule takes it: `V` (Venezuelan) or `E` (foreigner), then
 * 6 to 9 digits; written with or without the hyphen and with thousands dots or spaces
 * (`v 12.345.678`). Stored as `V-12345678`.
 */
export const cedulaSchema = z
  .string()
  .trim()
  .toUpperCase()
  .transform((id) => id.replace(/[.\s]/g, ''))
  .pipe(z.string().regex(/^[VE]-?\d{6,9}$/, { error: 'Use V-12345678 or E-12345678.' }))
  .transform((id) => (id.includes('-') ? id : `${id[0]}-${id.slice(1)}`));

/**
 * A Venezuelan mobile number as seed 001's `ve_phone` rule takes it: 0412, 0414, 0416, 0424
 * or 0426 and seven digits, or the same after `+58` without the 0 (`0414-1234567`,
 * `+58 414 123 45 67`). Stored as `+58 414 1234567`.
 */
export const venezuelanMobileSchema = z
  .string()
  .trim()
  .transform((phone) => phone.replace(/[\s().-]/g, ''))
  .pipe(z.string().regex(new RegExp(`^(?:\\+58|0)(?:${MOBILE_PREFIXES.join('|')})\\d{7}$`), { error: 'Use a Venezuelan mobile number, e.g. 0414-1234567 or +58 414 1234567.' }))
  .transform((phone) => {
    const digits = phone.startsWith('+58') ? phone.slice(3) : phone.slice(1);
    return `+58 ${digits.slice(0, 3)} ${digits.slice(3)}`;
  });

/**
 * The example shop's own registration and profile fields, validated by its own zod schemas
 * and stored by gatehouse in `user.attributes`. Optional in the JSON API, validated when present.
 */
export const shopFields = {
  /** A cédula (`ve_ci`), e.g. `V-12345678`. */
  nationalId: cedulaSchema.optional(),
  /** A Venezuelan mobile number (`ve_phone`); an empty string or `null` clears it. */
  phone: z.preprocess((value) => (typeof value === 'string' && value.trim() === '' ? null : value), venezuelanMobileSchema.nullable()).optional(),
};
