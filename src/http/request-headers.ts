/** Request headers as Node.js gives them: lower-case names, a string or (for repeats) an array. */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The first value of a header, or `undefined`. */
export function headerValue(headers: RequestHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : value?.[0];
}

/** Whether a character code is the white space of HTTP headers: a space or a tab. */
export const isBlank = (code: number): boolean => code === 0x20 || code === 0x09;

/** `text` from `start` to `end`, without the spaces and tabs around it. */
export function trimmedSlice(text: string, start: number, end: number): string {
  while (start < end && isBlank(text.charCodeAt(start))) start += 1;
  while (end > start && isBlank(text.charCodeAt(end - 1))) end -= 1;
  return text.slice(start, end);
}
