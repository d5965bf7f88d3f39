import { rateLimitKey } from './client.js';

/** Where a sign-in came from, as recorded in the activity log. */
export interface DeviceTrace {
  readonly ip: string | null;
  readonly userAgent: string | null;
}

/**
 * What tells devices apart for new sign-in notices: the network (an IPv4 address, or the
 * /64 of an IPv6 address, which one client rotates through) and the user agent with its
 * version numbers blanked, so that a browser update is not a new device.
 */
export function deviceKey(trace: DeviceTrace): string {
  const network = rateLimitKey(trace.ip) ?? '-';
  const agent = trace.userAgent === null ? '-' : trace.userAgent.replace(/\d+(?:[._]\d+)*/g, '#');
  return `${network} ${agent}`;
}

/** Whether a sign-in from `current` matches none of the earlier ones. */
export function isNewDevice(current: DeviceTrace, earlier: readonly DeviceTrace[]): boolean {
  const key = deviceKey(current);
  return !earlier.some((trace) => deviceKey(trace) === key);
}
