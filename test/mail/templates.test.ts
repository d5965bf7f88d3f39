import { describe, expect, it } from 'vitest';
import { createAuth, escapeHtml, MAIL_CATALOGS, renderMail, type MailCatalog, type MailData, type MailKind } from 'gatehouse';
import { MemoryAuthStore, MemoryMailer } from 'gatehouse/memory';
import { harness, PASSWORD, uniqueEmail } from '../support/harness.js';

const KINDS: readonly MailKind[] = ['activation', 'password-reset', 'email-change', 'password-changed', 'account-approved', 'account-blocked', 'new-sign-in', 'registration-attempt'];
const DATA: MailData = {
  appName: 'Tienda',
  name: 'Ana & "Bo"',
  link: 'https://shop.example/x?key=abc&next=%2F',
  expiresIn: 1800,
  reason: 'spam <script>',
  until: new Date('2030-02-01T10:00:00Z'),
  ip: '203.0.113.9',
  userAgent: 'Mozilla/5.0 <b>',
  at: new Date('2030-01-01T12:30:00Z'),
};

const french: MailCatalog = {
  ...MAIL_CATALOGS.en,
  greeting: (name) => `Bonjour ${name},`,
  duration: (seconds) => `${Math.round(seconds / 3600)} heures`,
  activation: (d) => ({ subject: `Activez votre compte ${d.appName}`, intro: ['Bienvenue.'], action: 'Activer mon compte', outro: [] }),
  'password-reset': (d) => ({ subject: `Réinitialisez votre mot de passe ${d.appName}`, intro: [], action: 'Choisir', outro: [] }),
};

async function register(h: ReturnType<typeof harness>, locale?: string) {
  const email = uniqueEmail();
  await h.auth.accounts.register({ email, password: PASSWORD, name: 'Ana', ...(locale === undefined ? {} : { locale }) });
  return h.mailer.last({ to: email })!;
}

describe('mail templates', () => {
  it('every message exists in English and Spanish, as text and HTML, with the link and escaped user input', () => {
    for (const kind of KINDS) {
      const english = renderMail(MAIL_CATALOGS.en, kind, 'en', DATA);
      const spanish = renderMail(MAIL_CATALOGS.es, kind, 'es', DATA);
      expect(spanish.subject, kind).not.toBe(english.subject);
      expect(spanish.text, kind).not.toBe(english.text);
      for (const [locale, mail] of [['en', english], ['es', spanish]] as const) {
        expect(mail.subject, kind).toContain('Tienda');
        expect(mail.text, kind).toContain('Ana & "Bo"');
        expect(mail.html, kind).toContain('Ana &amp; &quot;Bo&quot;');
        expect(mail.html, kind).toContain(`<html lang="${locale}">`);
        expect(mail.html, kind).not.toMatch(/<script>|<b>/);
        if (MAIL_CATALOGS.en[kind](DATA).action !== undefined) {
          expect(mail.text, kind).toContain(DATA.link);
          expect(mail.html, kind).toContain(`href="${escapeHtml(DATA.link!)}"`);
        }
      }
    }
  });

  it('an application adds French in full and overrides only the subject of the English activation mail', async () => {
    const h = harness({
      mail: {
        templates: {
          fr: french,
          en: { activation: (d) => ({ ...MAIL_CATALOGS.en.activation(d), subject: `Welcome to ${d.appName}!` }) },
        },
      },
      appName: 'Tienda',
    });
    const fr = await register(h, 'fr');
    expect(fr).toMatchObject({ locale: 'fr', subject: 'Activez votre compte Tienda' });
    expect(fr.text).toContain('Bonjour Ana,');
    expect(fr.html).toContain('Activer mon compte');
    expect(fr.html).toContain('<html lang="fr">');

    const en = await register(h);
    expect(en).toMatchObject({ locale: 'en', subject: 'Welcome to Tienda!' });
    expect(en.text).toContain('Activate my account'); // the rest of the built-in message stays
    await h.auth.passwords.requestReset({ email: en.to });
    await h.auth.drain();
    expect(h.mailer.last({ to: en.to })!.subject).toBe('Reset your Tienda password'); // other messages untouched

    const es = await register(h, 'es');
    expect(es.subject).toBe('Activa tu cuenta de Tienda'); // Spanish untouched
  });

  it('a partial new language falls back to English message by message, and a regional tag builds on its language', async () => {
    const h = harness({
      mail: {
        templates: {
          fr: { greeting: (name) => `Bonjour ${name},`, activation: french.activation },
          'es-VE': { activation: (d) => ({ ...MAIL_CATALOGS.es.activation(d), subject: `¡Chévere! Activa tu cuenta de ${d.appName}` }) },
        },
      },
    });
    const fr = await register(h, 'fr');
    await h.auth.passwords.requestReset({ email: fr.to });
    await h.auth.drain();
    const reset = h.mailer.last({ to: fr.to, kind: 'password-reset' })!;
    expect(reset.subject).toBe('Reset your gatehouse password');
    expect(reset.text.startsWith('Bonjour Ana,')).toBe(true);

    const ve = await register(h, 'es-VE');
    expect(ve).toMatchObject({ locale: 'es-VE', subject: '¡Chévere! Activa tu cuenta de gatehouse' });
    expect(ve.text.startsWith('Hola, Ana:')).toBe(true);
    const mx = await register(h, 'es-MX');
    expect(mx).toMatchObject({ locale: 'es', subject: 'Activa tu cuenta de gatehouse' });
  });

  it("chooses the user's locale, then its language, then the default locale, then English", async () => {
    const spanishDefault = harness({ defaultLocale: 'es' });
    expect(await register(spanishDefault)).toMatchObject({ locale: 'es', subject: 'Activa tu cuenta de gatehouse' });
    expect(await register(spanishDefault, 'pt')).toMatchObject({ locale: 'es' });
    expect(await register(spanishDefault, 'en-GB')).toMatchObject({ locale: 'en', subject: 'Activate your gatehouse account' });

    const regionalDefault = harness({ defaultLocale: 'es-AR' });
    expect(await register(regionalDefault)).toMatchObject({ locale: 'es' });

    const unknownDefault = harness({ defaultLocale: 'de' });
    expect(await register(unknownDefault, 'pt-BR')).toMatchObject({ locale: 'en' });
  });

  it('follows a change of the user’s locale in later mails', async () => {
    const h = harness();
    const email = uniqueEmail();
    await h.auth.accounts.register({ email, password: PASSWORD, name: 'Ana' });
    await h.auth.accounts.activate({ key: h.mailer.last({ to: email })!.key! });
    const { token } = await h.auth.sessions.login({ email, password: PASSWORD });
    const context = await h.auth.sessions.validate(token);
    await h.auth.accounts.updateProfile(context, { locale: 'es' });
    await h.auth.passwords.requestReset({ email });
    await h.auth.drain();
    expect(h.mailer.last({ to: email })).toMatchObject({ kind: 'password-reset', locale: 'es', subject: 'Restablece tu contraseña de gatehouse' });
  });

  it('a template may supply its own text and HTML bodies', async () => {
    const h = harness({
      mail: {
        templates: {
          en: {
            activation: (d) => ({
              ...MAIL_CATALOGS.en.activation(d),
              text: `Hi ${d.name}! ${d.link}`,
              html: `<h1>Hi ${escapeHtml(d.name)}</h1><a href="${escapeHtml(d.link!)}">Go</a>`,
            }),
          },
        },
      },
    });
    const mail = await register(h);
    expect(mail.subject).toBe('Activate your gatehouse account');
    expect(mail.text).toBe(`Hi Ana! ${mail.link}`);
    expect(mail.html).toBe(`<h1>Hi Ana</h1><a href="${escapeHtml(mail.link!)}">Go</a>`);
    expect(mail.link).toBe(`http://localhost:3000/activate?key=${mail.key}`);
  });

  it('a template that throws costs the mail, not the registration, and is logged', async () => {
    const errors: string[] = [];
    const h = harness({
      onError: (_error, { operation }) => errors.push(operation),
      mail: {
        templates: {
          en: {
            activation: () => {
              throw new Error('template bug');
            },
          },
        },
      },
    });
    const email = uniqueEmail();
    const { user } = await h.auth.accounts.register({ email, password: PASSWORD, name: 'Ana' });
    expect(h.mailer.outbox).toHaveLength(0);
    expect(errors).toEqual(['mail activation']);
    const failures = await h.store.listActivities({ subjectId: user.id, action: 'mail.failed', offset: 0, limit: 5 });
    expect(failures.items).toEqual([expect.objectContaining({ metadata: { kind: 'activation', error: 'template bug' } })]);
  });

  it('refuses malformed templates at construction with a TypeError', () => {
    const base = { store: new MemoryAuthStore(), mailer: new MemoryMailer() };
    const bad: unknown[] = [
      { en: { activaton: MAIL_CATALOGS.en.activation } },
      { en: { activation: 'Activate your account' } },
      { french: { activation: MAIL_CATALOGS.en.activation } },
      { fr: null },
    ];
    for (const templates of bad) {
      expect(() => createAuth({ ...base, mail: { templates: templates as never } }), JSON.stringify(templates)).toThrow(TypeError);
    }
    expect(() => createAuth({ ...base, mail: { notifyNewSignIn: 'yes' as never } })).toThrow(TypeError);
  });
});
