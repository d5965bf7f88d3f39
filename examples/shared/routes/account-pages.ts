/**
 * The pages of the way in (seed 001's `AuthController`, seed 002's keys): home, sign in and
 * its second step, sign out, register, activate, forgot and reset the password, confirm a new
 * email address, and the language switch.
 */
import { isAuthError, type AuthError } from 'gatehouse';
import type { AppRequest } from '../routes.js';
import { html } from '../html.js';
import { isLocale } from '../i18n/index.js';
import { always, guest, open, text, type PageKit, type PageReply, type PageRoute, type Ui } from '../page-kit.js';
import { forgotBody, keyButtonBody, loginBody, registerBody, resendActivationBody, resetBody, twoFactorSignInBody } from '../views/account.js';
import { homeBody } from '../views/shop.js';

/** The sealed cookie that holds a two-step sign-in between its two steps. */
const SIGN_IN = 'shop_signin';
/** As long as gatehouse's challenge lives (`twoFactor.challengeLifetime`, 5 minutes by default). */
const SIGN_IN_LIFETIME = 300;

interface PendingSignIn {
  readonly challenge: string;
  readonly next: string;
  readonly rememberMe: boolean;
}

const optional = (value: string): string | undefined => (value.trim() === '' ? undefined : value);
/** Whether an error is about the key of a link (unknown, used, expired, malformed). */
const badKey = (error: unknown): boolean =>
  isAuthError(error, 'KEY_INVALID') || isAuthError(error, 'KEY_EXPIRED') || (isAuthError(error, 'VALIDATION_FAILED') && (error as AuthError).issues?.some((issue) => issue.path[0] === 'key') === true);

export function accountPages(kit: PageKit): PageRoute[] {
  const { auth, http, runtime, cookies } = kit;

  /** Ends the session the browser held (signing in over it must not leave it alive) and sets the new one. */
  const signedIn = async (req: AppRequest, ui: Ui, login: { token: string; session: { expiresAt: Date } }, next: string, extra: readonly string[] = []): Promise<PageReply> =>
    ui.redirect(next, undefined, [...extra, await http.startSession(req.raw, login)]);

  return [
    kit.route('GET', '/', open, async (_req, ui, session) => {
      if (session === null) return ui.page(ui.t.home.title, homeBody(ui.t, ui.fmt, null, null));
      const panel = { orders: runtime.orders.totalsOf(session.user.id), sessions: (await auth.sessions.list(session)).length, lastSignIn: session.user.lastLoginAt };
      return ui.page(ui.t.home.hello(session.user.name), homeBody(ui.t, ui.fmt, ui.viewer, panel));
    }),

    kit.route('GET', '/login', guest, async (req, ui) => ui.page(ui.t.login.title, loginBody(ui.t, ui.form('login'), ui.next(req.query['next'], '/profile')))),
    // Open to a signed-in browser too: signing in as someone else ends the session it held.
    kit.route('POST', '/login', always, async (req, ui) => {
      const values = { email: text(req.body['email']), rememberMe: text(req.body['rememberMe']) === 'true' ? 'true' : '' };
      const next = ui.next(req.body['next'], '/profile');
      try {
        const login = await auth.sessions.login({ email: values.email, password: text(req.body['password']), rememberMe: values.rememberMe === 'true' }, req.client);
        return await signedIn(req, ui, login, next);
      } catch (error) {
        if (isAuthError(error, 'TWO_FACTOR_REQUIRED')) {
          const pending: PendingSignIn = { challenge: (error as AuthError).challenge!, next, rememberMe: values.rememberMe === 'true' };
          return ui.redirect('/login/two-factor', undefined, [cookies.seal(SIGN_IN, pending, SIGN_IN_LIFETIME)]);
        }
        return ui.failed(next === '/profile' ? '/login' : `/login?next=${encodeURIComponent(next)}`, 'login', values, error);
      }
    }),
    // Open to a signed-in browser too: its sign-in as someone else may need this second step.
    kit.route('GET', '/login/two-factor', always, async (req, ui) => {
      if (kit.opened<PendingSignIn>(req, SIGN_IN) === undefined) return ui.redirect('/login', { error: ui.t.errors.tooLate });
      return ui.page(ui.t.twoFactorSignIn.title, twoFactorSignInBody(ui.t, ui.form('two-factor')));
    }),
    kit.route('POST', '/login/two-factor', always, async (req, ui) => {
      const pending = kit.opened<PendingSignIn>(req, SIGN_IN);
      if (pending === undefined) return ui.redirect('/login', { error: ui.t.errors.tooLate });
      try {
        const login = await auth.sessions.verifyTwoFactor({ challenge: pending.challenge, code: text(req.body['code']), rememberMe: pending.rememberMe }, req.client);
        return await signedIn(req, ui, login, pending.next, [cookies.clear(SIGN_IN)]);
      } catch (error) {
        if (badKey(error)) return ui.redirect('/login', { error: ui.t.errors.tooLate }, [cookies.clear(SIGN_IN)]);
        return ui.failed('/login/two-factor', 'two-factor', {}, error, { _: 'code' });
      }
    }),
    kit.route('POST', '/login/two-factor/cancel', always, async (_req, ui) => ui.redirect('/login', undefined, [cookies.clear(SIGN_IN)])),
    kit.route('POST', '/logout', always, async (_req, ui, session) => {
      if (session !== null) await auth.sessions.logout(session);
      return ui.redirect('/login', { notice: ui.t.signedOut }, [http.cookie.clear()]);
    }),

    kit.route('GET', '/register', guest, async (_req, ui) => ui.page(ui.t.register.title, registerBody(ui.t, ui.form('register')))),
    kit.route('POST', '/register', guest, async (req, ui) => {
      const values = { name: text(req.body['name']), email: text(req.body['email']), nationalId: text(req.body['nationalId']), phone: text(req.body['phone']) };
      try {
        // The account's mails go out in the language of the page it registered on.
        await auth.accounts.register(
          { ...values, password: text(req.body['password']), nationalId: optional(values.nationalId), phone: optional(values.phone), locale: ui.locale },
          req.client,
        );
      } catch (error) {
        return ui.failed('/register', 'register', values, error, isAuthError(error, 'EMAIL_TAKEN') ? { _: 'email' } : {});
      }
      return ui.redirect('/login', { notice: ui.t.register.checkMail });
    }),

    kit.route('GET', '/activate', open, async (req, ui) => {
      const key = text(req.query['key']);
      const resend = resendActivationBody(ui.t, ui.form('resend'));
      return ui.page(ui.t.activate.title, key === '' ? resend : html`${keyButtonBody(ui.t.activate.intro, '/activate', key, ui.t.activate.submit, ui.form('activate'))}${resend}`);
    }),
    kit.route('POST', '/activate', open, async (req, ui) => {
      try {
        await auth.accounts.activate({ key: text(req.body['key']) }, req.client);
      } catch (error) {
        return ui.redirect('/activate', { error: badKey(error) ? ui.t.errors.linkInvalid : Object.values(ui.errorsOf(error)).join(' ') });
      }
      return ui.redirect('/login', { notice: runtime.config.requireApproval ? ui.t.activate.doneWaiting : ui.t.activate.done });
    }),
    kit.route('POST', '/activate/resend', open, async (req, ui) => {
      const email = text(req.body['email']);
      try {
        await auth.accounts.resendActivation({ email }, req.client);
      } catch (error) {
        return ui.failed('/activate', 'resend', { email }, error);
      }
      return ui.redirect('/login', { notice: ui.t.activate.resent });
    }),

    kit.route('GET', '/forgot-password', open, async (_req, ui) => ui.page(ui.t.forgot.title, forgotBody(ui.t, ui.form('forgot')))),
    kit.route('POST', '/forgot-password', open, async (req, ui) => {
      const email = text(req.body['email']);
      try {
        await auth.passwords.requestReset({ email }, req.client);
      } catch (error) {
        return ui.failed('/forgot-password', 'forgot', { email }, error);
      }
      return ui.redirect('/login', { notice: ui.t.forgot.sent });
    }),
    kit.route('GET', '/reset-password', open, async (req, ui) => ui.page(ui.t.reset.title, resetBody(ui.t, text(req.query['key']), ui.form('reset')))),
    kit.route('POST', '/reset-password', open, async (req, ui) => {
      const key = text(req.body['key']);
      try {
        await auth.passwords.reset({ key, password: text(req.body['password']) }, req.client);
      } catch (error) {
        if (badKey(error)) return ui.redirect('/forgot-password', { error: ui.t.errors.linkInvalid });
        return ui.failed(`/reset-password?key=${encodeURIComponent(key)}`, 'reset', {}, error);
      }
      return ui.redirect('/login', { notice: ui.t.reset.done });
    }),

    kit.route('GET', '/confirm-email', always, async (req, ui) =>
      ui.page(ui.t.confirmEmail.title, keyButtonBody(ui.t.confirmEmail.intro, '/confirm-email', text(req.query['key']), ui.t.confirmEmail.submit, ui.form('confirm-email'))),
    ),
    kit.route('POST', '/confirm-email', always, async (req, ui, session) => {
      try {
        const { user } = await auth.accounts.confirmEmailChange({ key: text(req.body['key']) }, req.client);
        return ui.redirect(session === null ? '/login' : '/profile', { notice: ui.t.confirmEmail.done(user.email) });
      } catch (error) {
        const message = badKey(error) ? ui.t.errors.linkInvalid : Object.values(ui.errorsOf(error)).join(' ');
        return ui.redirect(session === null ? '/login' : '/profile/email', { error: message });
      }
    }),

    kit.route('POST', '/language', always, async (req, ui, session) => {
      const chosen = req.body['lang'];
      const back = ui.next(req.body['next'], '/');
      if (!isLocale(chosen)) return ui.redirect(back);
      // Signed in, the account's mails follow the language chosen.
      if (session !== null && session.user.locale !== chosen) await auth.accounts.updateProfile(session, { locale: chosen });
      return ui.redirect(back, undefined, [kit.rememberLanguage(chosen)]);
    }),
  ];
}
