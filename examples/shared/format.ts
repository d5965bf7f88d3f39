import Bowser from 'bowser';
import { html, type Html } from './html.js';

/** The zone times are shown in when the browser has not told its own (the `tz` cookie the page script sets). */
export const DEFAULT_TIME_ZONE = 'UTC';

/** Whether `zone` is an IANA time zone this runtime knows, e.g. `America/Caracas`. */
export function isTimeZone(zone: unknown): zone is string {
  if (typeof zone !== 'string' || zone.length > 64 || !/^[A-Za-z_+-]+(?:\/[A-Za-z0-9_+-]+){0,2}$/.test(zone)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Dates, money and devices in one language and time zone. */
export class Formats {
  readonly #dateTime: Intl.DateTimeFormat;
  readonly #money: Intl.NumberFormat;

  constructor(
    readonly intl: string,
    readonly timeZone: string,
    currency: string,
  ) {
    this.#dateTime = new Intl.DateTimeFormat(intl, { dateStyle: 'medium', timeStyle: 'short', timeZone });
    this.#money = new Intl.NumberFormat(intl, { style: 'currency', currency });
  }

  /** A date as text, in the zone. */
  text(date: Date): string {
    return this.#dateTime.format(date);
  }

  /** A date as a `<time>` element, `fallback` when there is none. */
  time(date: Date | null | undefined, fallback = ''): Html {
    return date == null ? html`${fallback}` : html`<time datetime="${date.toISOString()}">${this.text(date)}</time>`;
  }

  /** Cents as money. */
  money(cents: number): string {
    return this.#money.format(cents / 100);
  }

  /** The value of a `datetime-local` input showing `date` in the zone. */
  toLocalInput(date: Date | null | undefined): string {
    if (date == null) return '';
    const { year, month, day, hour, minute } = zonedParts(date, this.timeZone);
    return `${year}-${month}-${day}T${hour}:${minute}`;
  }

  /**
   * The instant a `datetime-local` value (`2026-12-01T18:30`) names in the zone, `null` for
   * an empty one, `undefined` for one that is not a date.
   */
  fromLocalInput(value: string): Date | null | undefined {
    if (value.trim() === '') return null;
    const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value.trim());
    if (match === null) return undefined;
    const [year, month, day, hour, minute] = match.slice(1).map(Number) as [number, number, number, number, number];
    const wall = Date.UTC(year, month - 1, day, hour, minute);
    const check = new Date(wall);
    // 31 February is not a date (Date.UTC would roll it over into March).
    if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59) return undefined;
    // The zone's offset at the guess, then again at the result: right across a change of daylight time.
    const first = wall - offsetAt(new Date(wall), this.timeZone);
    return new Date(wall - offsetAt(new Date(first), this.timeZone));
  }
}

function zonedParts(date: Date, timeZone: string): Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', string> {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(date);
  const part = (type: string): string => parts.find((p) => p.type === type)?.value ?? '00';
  return { year: part('year'), month: part('month'), day: part('day'), hour: part('hour'), minute: part('minute'), second: part('second') };
}

/** How far the zone's wall clock is ahead of UTC at `date`, in milliseconds. */
function offsetAt(date: Date, timeZone: string): number {
  const p = zonedParts(date, timeZone);
  const wall = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return wall - Math.floor(date.getTime() / 1000) * 1000;
}

/** A user agent as people say it: `Chrome 124 on Windows 10`; `undefined` when it says nothing recognisable. */
export function describeUserAgent(userAgent: string | null | undefined, on: (browser: string, os: string) => string): string | undefined {
  if (userAgent == null || userAgent.trim() === '') return undefined;
  const { browser, os } = Bowser.parse(userAgent.slice(0, 512));
  const name = browser.name === undefined ? undefined : `${browser.name}${browser.version ? ` ${browser.version.split('.')[0]}` : ''}`;
  const system = os.name === undefined ? undefined : `${os.name}${os.versionName ? ` ${os.versionName}` : os.version ? ` ${os.version}` : ''}`;
  if (name === undefined && system === undefined) return undefined;
  return name === undefined ? system : system === undefined ? name : on(name, system);
}
