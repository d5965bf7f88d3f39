/**
 * HTML with escaping by default: every value put into an `html` template is escaped,
 * unless it is itself the output of `html` (or `raw`). Pages are built from these alone, so
 * user input (a name, a block reason, a user agent) cannot become markup.
 */

/** Markup that is safe to put into a page as it is. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** What a template may hold: text (escaped), numbers, markup, lists of these, or nothing. */
export type HtmlValue = Html | string | number | null | undefined | false | readonly HtmlValue[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and attribute values. */
export function escape(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escape(String(value));
}

/** The template tag: `html\`<p>${name}</p>\`` escapes `name`. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0]!;
  for (const [index, value] of values.entries()) out += render(value) + strings[index + 1]!;
  return new Html(out);
}

/** Markup written by the app itself (never user input), taken as it is. */
export function raw(markup: string): Html {
  return new Html(markup);
}
