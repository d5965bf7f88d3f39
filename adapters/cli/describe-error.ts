import { isAuthError } from 'gatehouse';

/** The message of an error and of its causes, one after the other; an AuthError's field issues too. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 4; depth += 1) {
    const message = current instanceof Error ? current.message || current.name : String(current);
    if (!parts.some((part) => part.includes(message))) parts.push(message);
    if (isAuthError(current) && current.issues !== undefined) {
      for (const issue of current.issues) parts.push(`${issue.path.join('.') || 'input'}: ${issue.message}`);
    }
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(': ');
}
