import type { HttpAuth, RequestHeaders } from 'gatehouse/http';

/**
 * The locale step of the Express and Fastify error handlers, in one place: the app's `locale`
 * option, or else the request's `Accept-Language` as the HTTP layer reads it. The function
 * returned never throws: a failing `locale` of the app's leaves the message in its own words.
 *
 * @throws {TypeError} — `locale` is given but is not a function (checked at start-up).
 */
export function errorLocale<R extends { readonly headers: RequestHeaders }>(
  http: Pick<HttpAuth, 'localeOf'>,
  locale: ((request: R) => string | undefined) | undefined,
): (request: R) => string | undefined {
  const localeOf = locale ?? ((request: R) => http.localeOf(request.headers));
  if (typeof localeOf !== 'function') throw new TypeError('locale must be a function of the request');
  return (request) => {
    try {
      return localeOf(request);
    } catch {
      return undefined;
    }
  };
}
