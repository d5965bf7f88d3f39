import type { MailKind } from '../ports/mailer.js';

/** What a template can say. */
export interface MailData {
  /** The application's name (`appName` of `createAuth()`). */
  readonly appName: string;
  /** The recipient's name. */
  readonly name: string;
  /** The link to open, for messages that carry a key. */
  readonly link?: string | undefined;
  /** How long the link works, e.g. 1800 seconds. */
  readonly expiresIn?: number | undefined;
  /** For a block: the reason and when it ends. */
  readonly reason?: string | undefined;
  /** For a block: when it ends, when it does. */
  readonly until?: Date | undefined;
  /** For a new sign-in: where from. */
  readonly ip?: string | undefined;
  /** For a new sign-in: the browser's `User-Agent`. */
  readonly userAgent?: string | undefined;
  /** For a new sign-in: when it happened. */
  readonly at?: Date | undefined;
}

/** The parts of one message, written once and rendered as text and HTML. */
export interface MailParts {
  /** The subject line. */
  readonly subject: string;
  /** Paragraphs before the link. */
  readonly intro: readonly string[];
  /** The label of the link's button, when the message has a link. */
  readonly action?: string | undefined;
  /** Paragraphs after the link. */
  readonly outro: readonly string[];
  /**
   * Replaces the whole plain-text body built from the parts above.
   * @default the greeting, the paragraphs, the link and the signature
   */
  readonly text?: string | undefined;
  /**
   * Replaces the whole HTML body built from the parts above. Escape what you interpolate
   * (`escapeHtml`): the recipient's name and a block reason are user input.
   * @default a simple accessible layout with a button for the link
   */
  readonly html?: string | undefined;
}

/** One message of one language: what it says, given the data of one mail. */
export type MailTemplate = (data: MailData) => MailParts;

/** The messages of one language. */
export type MailCatalog = { readonly [K in MailKind]: MailTemplate } & {
  /** The salutation, e.g. `Hello Ana,`. */
  readonly greeting: (name: string) => string;
  /** Renders a duration in seconds, e.g. `30 minutes`. */
  readonly duration: (seconds: number) => string;
};

function englishDuration(seconds: number): string {
  const [value, unit] = largestUnit(seconds, ['day', 'hour', 'minute']);
  return `${value} ${unit}${value === 1 ? '' : 's'}`;
}

function spanishDuration(seconds: number): string {
  const [value, unit] = largestUnit(seconds, ['día', 'hora', 'minuto']);
  return `${value} ${unit}${value === 1 ? '' : 's'}`;
}

function largestUnit(seconds: number, names: readonly [string, string, string]): [number, string] {
  // Up to two days read better in hours ("24 hours").
  if (seconds >= 2 * 86400 && seconds % 86400 === 0) return [seconds / 86400, names[0]];
  if (seconds >= 3600 && seconds % 3600 === 0) return [seconds / 3600, names[1]];
  return [Math.max(1, Math.round(seconds / 60)), names[2]];
}

const when = (date: Date | undefined): string => (date === undefined ? '' : date.toISOString().replace('T', ' ').slice(0, 16) + ' UTC');

/** English messages. */
export const en: MailCatalog = {
  greeting: (name) => `Hello ${name},`,
  duration: englishDuration,
  activation: (d) => ({
    subject: `Activate your ${d.appName} account`,
    intro: [`Welcome to ${d.appName}. Open the link below to confirm your email address and activate your account.`],
    action: 'Activate my account',
    outro: [`The link works once and expires in ${englishDuration(d.expiresIn ?? 0)}.`, 'If you did not sign up, ignore this message.'],
  }),
  'password-reset': (d) => ({
    subject: `Reset your ${d.appName} password`,
    intro: ['Someone asked to reset the password of your account. Open the link below to choose a new one.'],
    action: 'Choose a new password',
    outro: [
      `The link works once and expires in ${englishDuration(d.expiresIn ?? 0)}.`,
      'If you did not ask for this, ignore this message: your password stays as it is.',
    ],
  }),
  'email-change': (d) => ({
    subject: `Confirm your new ${d.appName} email address`,
    intro: ['Open the link below to make this the email address of your account.'],
    action: 'Confirm this address',
    outro: [`The link works once and expires in ${englishDuration(d.expiresIn ?? 0)}.`, 'If you did not ask for this, ignore this message.'],
  }),
  'password-changed': (d) => ({
    subject: `Your ${d.appName} password was changed`,
    intro: [`The password of your account was changed on ${when(d.at)}.`],
    outro: ['If you did not do this, reset your password at once and contact us.'],
  }),
  'account-approved': (d) => ({
    subject: `Your ${d.appName} account was approved`,
    intro: ['An administrator approved your account. You can sign in now.'],
    action: d.link === undefined ? undefined : 'Sign in',
    outro: [],
  }),
  'account-blocked': (d) => ({
    subject: `Your ${d.appName} account was blocked`,
    intro: [
      `Your account was blocked${d.until === undefined ? '' : ` until ${when(d.until)}`}.`,
      ...(d.reason === undefined ? [] : [`Reason: ${d.reason}`]),
    ],
    outro: ['If you think this is a mistake, reply to this message.'],
  }),
  'new-sign-in': (d) => ({
    subject: `New sign-in to your ${d.appName} account`,
    intro: [
      `Your account was used to sign in on ${when(d.at)} from a device we had not seen before.`,
      `Address: ${d.ip ?? 'unknown'}. Browser: ${d.userAgent ?? 'unknown'}.`,
    ],
    outro: ['If this was you, there is nothing to do. If not, change your password and sign out your other sessions.'],
  }),
  'registration-attempt': (d) => ({
    subject: `Someone tried to register with your ${d.appName} address`,
    intro: [`Someone tried to create a new ${d.appName} account with your email address on ${when(d.at)}. You already have an account, so nothing was created.`],
    action: d.link === undefined ? undefined : 'Sign in',
    outro: ['If it was you, sign in with your account, or reset your password if you forgot it. If not, you can ignore this message.'],
  }),
};

/** Spanish messages. */
export const es: MailCatalog = {
  greeting: (name) => `Hola, ${name}:`,
  duration: spanishDuration,
  activation: (d) => ({
    subject: `Activa tu cuenta de ${d.appName}`,
    intro: [`Te damos la bienvenida a ${d.appName}. Abre el enlace para confirmar tu correo y activar tu cuenta.`],
    action: 'Activar mi cuenta',
    outro: [`El enlace sirve una sola vez y caduca en ${spanishDuration(d.expiresIn ?? 0)}.`, 'Si no te registraste, ignora este mensaje.'],
  }),
  'password-reset': (d) => ({
    subject: `Restablece tu contraseña de ${d.appName}`,
    intro: ['Alguien pidió restablecer la contraseña de tu cuenta. Abre el enlace para elegir una nueva.'],
    action: 'Elegir una contraseña nueva',
    outro: [
      `El enlace sirve una sola vez y caduca en ${spanishDuration(d.expiresIn ?? 0)}.`,
      'Si no lo pediste, ignora este mensaje: tu contraseña no cambia.',
    ],
  }),
  'email-change': (d) => ({
    subject: `Confirma tu nuevo correo de ${d.appName}`,
    intro: ['Abre el enlace para que esta sea la dirección de correo de tu cuenta.'],
    action: 'Confirmar esta dirección',
    outro: [`El enlace sirve una sola vez y caduca en ${spanishDuration(d.expiresIn ?? 0)}.`, 'Si no lo pediste, ignora este mensaje.'],
  }),
  'password-changed': (d) => ({
    subject: `Se cambió tu contraseña de ${d.appName}`,
    intro: [`La contraseña de tu cuenta se cambió el ${when(d.at)}.`],
    outro: ['Si no fuiste tú, restablece tu contraseña de inmediato y contáctanos.'],
  }),
  'account-approved': (d) => ({
    subject: `Tu cuenta de ${d.appName} fue aprobada`,
    intro: ['Un administrador aprobó tu cuenta. Ya puedes iniciar sesión.'],
    action: d.link === undefined ? undefined : 'Iniciar sesión',
    outro: [],
  }),
  'account-blocked': (d) => ({
    subject: `Tu cuenta de ${d.appName} fue bloqueada`,
    intro: [
      `Tu cuenta fue bloqueada${d.until === undefined ? '' : ` hasta el ${when(d.until)}`}.`,
      ...(d.reason === undefined ? [] : [`Motivo: ${d.reason}`]),
    ],
    outro: ['Si crees que es un error, responde a este mensaje.'],
  }),
  'new-sign-in': (d) => ({
    subject: `Nuevo inicio de sesión en tu cuenta de ${d.appName}`,
    intro: [
      `Se inició sesión en tu cuenta el ${when(d.at)} desde un dispositivo que no conocíamos.`,
      `Dirección: ${d.ip ?? 'desconocida'}. Navegador: ${d.userAgent ?? 'desconocido'}.`,
    ],
    outro: ['Si fuiste tú, no tienes que hacer nada. Si no, cambia tu contraseña y cierra tus otras sesiones.'],
  }),
  'registration-attempt': (d) => ({
    subject: `Alguien intentó registrarse con tu correo de ${d.appName}`,
    intro: [`Alguien intentó crear una cuenta nueva de ${d.appName} con tu correo el ${when(d.at)}. Ya tienes una cuenta, así que no se creó nada.`],
    action: d.link === undefined ? undefined : 'Iniciar sesión',
    outro: ['Si fuiste tú, inicia sesión con tu cuenta o restablece tu contraseña si la olvidaste. Si no, puedes ignorar este mensaje.'],
  }),
};

/** The built-in catalogs: English and Spanish. */
export const MAIL_CATALOGS: Readonly<Record<'en' | 'es', MailCatalog>> = Object.freeze({ en, es });

/** The keys a catalog may have: one per message, plus `greeting` and `duration`. */
export const MAIL_CATALOG_KEYS = [
  'greeting',
  'duration',
  'activation',
  'password-reset',
  'email-change',
  'password-changed',
  'account-approved',
  'account-blocked',
  'new-sign-in',
  'registration-attempt',
] as const satisfies readonly (keyof MailCatalog)[];

// Compile-time check that the list above names every key of a catalog.
type UnlistedKey = Exclude<keyof MailCatalog, (typeof MAIL_CATALOG_KEYS)[number]>;
const everyKeyListed: [UnlistedKey] extends [never] ? true : false = true;
void everyKeyListed;

/**
 * Merges an application's templates over the built-in catalogs. Each language's entries
 * replace those of its base: the built-in catalog of the same tag, else the (merged) catalog
 * of its language (`es` for `es-VE`), else English — so a partial new language falls back to
 * English message by message.
 */
export function buildCatalogs(templates: Readonly<Record<string, Partial<MailCatalog>>>): ReadonlyMap<string, MailCatalog> {
  const catalogs = new Map<string, MailCatalog>(Object.entries(MAIL_CATALOGS));
  // Bare languages first, so that `es-VE` builds on an overridden `es`.
  const tags = Object.keys(templates).sort((a, b) => a.split('-').length - b.split('-').length || a.localeCompare(b));
  for (const tag of tags) {
    const base = catalogs.get(tag) ?? catalogs.get(tag.split('-')[0]!) ?? en;
    catalogs.set(tag, Object.freeze({ ...base, ...definedEntries(templates[tag]!) }));
  }
  return catalogs;
}

function definedEntries(overrides: Partial<MailCatalog>): Partial<MailCatalog> {
  return Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined)) as Partial<MailCatalog>;
}

/** A rendered message. */
export interface RenderedMail {
  /** The subject line. */
  readonly subject: string;
  /** The plain-text body. */
  readonly text: string;
  /** The HTML body, with every interpolated value escaped. */
  readonly html: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** Renders one message of a catalog as plain text and HTML. */
export function renderMail(catalog: MailCatalog, kind: MailKind, locale: string, data: MailData): RenderedMail {
  const parts = catalog[kind](data);
  const link = parts.action !== undefined ? data.link : undefined;
  const text = [
    catalog.greeting(data.name),
    ...parts.intro,
    ...(link === undefined ? [] : [`${parts.action}: ${link}`]),
    ...parts.outro,
    `— ${data.appName}`,
  ].join('\n\n');
  const paragraph = (line: string): string => `<p>${escapeHtml(line)}</p>`;
  const button =
    link === undefined
      ? ''
      : `<p><a href="${escapeHtml(link)}" style="display:inline-block;padding:10px 18px;background:#1d4ed8;color:#fff;text-decoration:none;border-radius:6px">${escapeHtml(parts.action ?? '')}</a></p>` +
        `<p style="font-size:12px;color:#555">${escapeHtml(link)}</p>`;
  const html =
    `<!doctype html><html lang="${escapeHtml(locale)}"><head><meta charset="utf-8"><title>${escapeHtml(parts.subject)}</title></head>` +
    `<body style="font-family:system-ui,sans-serif;line-height:1.5;color:#111">` +
    paragraph(catalog.greeting(data.name)) +
    parts.intro.map(paragraph).join('') +
    button +
    parts.outro.map(paragraph).join('') +
    `<p style="color:#555">— ${escapeHtml(data.appName)}</p></body></html>`;
  return { subject: parts.subject, text: parts.text ?? text, html: parts.html ?? html };
}
