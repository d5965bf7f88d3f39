import { TZDate } from '@date-fns/tz';

/**
 * Checks an IANA time zone name (`America/Bogota`) or a fixed offset (`-05:00`, `+00:00`),
 * the zone in which a legacy application wrote its `DATETIME`s.
 * @throws {TypeError} when the zone is unknown.
 */
export function checkTimeZone(zone: unknown): string {
  if (typeof zone === 'string' && zone !== '') {
    if (/^[+-](?:[01]\d|2[0-3]):[0-5]\d$/.test(zone)) return zone;
    try {
      // Intl knows every IANA zone of the runtime's time zone database and refuses the rest.
      new Intl.DateTimeFormat('en', { timeZone: zone });
      return zone;
    } catch {
      // fall through to the error below
    }
  }
  throw new TypeError(`timeZone must be an IANA time zone such as America/Bogota or an offset such as -05:00; got ${JSON.stringify(zone)}`);
}

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

/**
 * The instant a legacy `DATETIME` (`'2025-03-01 14:30:00'`, as the driver reads it with
 * `dateStrings`) stands for, read as wall-clock time in `zone`; `null` for SQL `NULL` and for
 * MySQL's zero date `0000-00-00 00:00:00`. A wall-clock time that happened twice (clocks set
 * back) is the later of the two; one that never happened (clocks set forward) is moved
 * forward by the gap.
 * @throws {TypeError} when the text is not a `DATETIME`.
 */
export function legacyInstant(text: string | null, zone: string): Date | null {
  if (text === null) return null;
  const parts = DATETIME.exec(text);
  if (parts === null) throw new TypeError(`not a DATETIME: ${JSON.stringify(text)}`);
  const [year, month, day, hour, minute, second] = parts.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (year === 0 || month === 0 || day === 0) return null;
  const millis = Math.floor(Number(`0.${parts[7] ?? '0'}`) * 1000);
  const instant = new TZDate(year, month - 1, day, hour, minute, second, millis, zone).getTime();
  return new Date(instant);
}
