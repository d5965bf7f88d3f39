/**
 * A minimal MIME reader for the tests: enough of RFC 5322, 2045–2047 to read what nodemailer
 * writes (folded headers, encoded words, multipart bodies, quoted-printable and base64).
 */

/** One part of a message: its headers (lower-case names) and decoded body. */
export interface MimePart {
  readonly headers: ReadonlyMap<string, string>;
  readonly contentType: string;
  readonly body: string;
  readonly parts: readonly MimePart[];
}

/** A parsed message with the fields the tests look at. */
export interface ParsedMail extends MimePart {
  readonly subject: string;
  readonly from: string;
  readonly to: string;
  /** The `text/plain` body, with `\n` line ends. */
  readonly text: string | undefined;
  /** The `text/html` body. */
  readonly html: string | undefined;
}

const ENCODED_WORD = /=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g;

/** Decodes RFC 2047 encoded words; adjacent words are joined byte-wise, so a character split between them survives. */
export function decodeWords(value: string): string {
  const runs = /=\?[^?]+\?[BbQq]\?[^?]*\?=(?:\s+=\?[^?]+\?[BbQq]\?[^?]*\?=)*/g;
  return value.replace(runs, (run) => {
    const bytes = [...run.matchAll(ENCODED_WORD)].map(([, , encoding, text = '']) =>
      encoding!.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : quotedPrintable(text.replace(/_/g, ' ')),
    );
    return Buffer.concat(bytes).toString('utf8');
  });
}

function quotedPrintable(text: string): Buffer {
  const bytes: number[] = [];
  const unwrapped = text.replace(/=\r?\n/g, '');
  for (let i = 0; i < unwrapped.length; i += 1) {
    const char = unwrapped[i]!;
    if (char === '=' && /^[0-9A-Fa-f]{2}$/.test(unwrapped.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(unwrapped.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(char, 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

function parseHeaders(head: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), decodeWords(line.slice(colon + 1).trim()));
  }
  return headers;
}

function parsePart(raw: string): MimePart {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split < 0 ? raw : raw.slice(0, split);
  const rest = split < 0 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const headers = parseHeaders(head);
  const contentTypeHeader = headers.get('content-type') ?? 'text/plain';
  const contentType = contentTypeHeader.split(';')[0]!.trim().toLowerCase();
  if (contentType.startsWith('multipart/')) {
    const boundary = /boundary="?([^";]+)"?/i.exec(contentTypeHeader)?.[1];
    if (boundary === undefined) throw new Error('multipart without a boundary');
    const sections = rest.split(`--${boundary}`);
    // Before the first delimiter is the preamble; from the closing `--` on, the epilogue.
    const parts = sections
      .slice(1)
      .filter((section) => !section.startsWith('--'))
      .map((section) => parsePart(section.replace(/^\r?\n/, '').replace(/\r?\n$/, '')));
    return { headers, contentType, body: '', parts };
  }
  const encoding = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  const bytes =
    encoding === 'base64' ? Buffer.from(rest.replace(/\s+/g, ''), 'base64') : encoding === 'quoted-printable' ? quotedPrintable(rest) : Buffer.from(rest, 'utf8');
  return { headers, contentType, body: bytes.toString('utf8').replace(/\r\n/g, '\n'), parts: [] };
}

function* leaves(part: MimePart): Generator<MimePart> {
  if (part.parts.length === 0) yield part;
  for (const child of part.parts) yield* leaves(child);
}

/** Parses a raw message as received by an SMTP server. */
export function parseMail(raw: string): ParsedMail {
  const root = parsePart(raw);
  const find = (type: string): string | undefined => [...leaves(root)].find((part) => part.contentType === type)?.body;
  return {
    ...root,
    subject: root.headers.get('subject') ?? '',
    from: root.headers.get('from') ?? '',
    to: root.headers.get('to') ?? '',
    text: find('text/plain'),
    html: find('text/html'),
  };
}

/** The first `href` of an HTML body, unescaped. */
export function firstHref(html: string): string | undefined {
  const href = /href="([^"]*)"/.exec(html)?.[1];
  return href?.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}
