/** Request headers as Node.js gives them: lower-case names, a string or (for repeats) an array. */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The first value of a header, or `undefined`. */
export function headerValue(headers: RequestHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : value?.[0];
}
