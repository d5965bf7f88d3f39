/**
 * A signed-in user's own pages (seed 001's profile): figures and details, the password, the
 * email address, the sessions (one, everywhere else, everywhere), two-step verification.
 */
import { isAuthError } from 'gatehouse';
import { renderSVG } from 'uqr';
import { member, memberChangingPassword, text, type PageKit, type PageRoute } from '../page-kit.js';
import { emailBody, passwordBody, profileBody, twoFactorBody } from '../views/profile.js';

/** The sealed cookie that holds a two-step set-up's secret until its first code. */
const ENROLMENT = 'shop_enrolment';
const ENROLMENT_LIFETIME = 600;

interface Enrolment {
  readonly userId: string;
  readonly secret: string;
  readonly uri: string;
}


export function profilePages(kit: PageKit): PageRoute[] {
  const { auth, http, runtime, cookies } = kit;

  return [
    kit.route('GET', '/profile', member, async (_req, ui, session) => {
      const [user, sessions, twoFactor] = await Promise.all([
        auth.accounts.getProfile(session),
        auth.sessions.list(session),
        auth.twoFactor.available ? auth.twoFactor.status(session) : { enabled: false },
      ]);
      const view = { user, sessions, orders: runtime.orders.totalsOf(user.id), twoFactorEnabled: twoFactor.enabled, form: ui.form('profile') };
      return ui.page(ui.t.profile.title, profileBody(ui.t, ui.fmt, view));
    }),
    kit.route('POST', '/profile', member, async (req, ui, session) => {
      const values = { name: text(req.body['name']), phone: text(req.body['phone']) };
      try {
        // An empty phone clears the number (the shop's schema makes it null); left empty without one, it is not a change.
        const clearsNothing = values.phone.trim() === '' && (session.user.attributes['phone'] ?? null) === null;
        await auth.accounts.updateProfile(session, { name: values.name, phone: clearsNothing ? undefined : values.phone });
      } catch (error) {
        return ui.failed('/profile', 'profile', values, error);
      }
      return ui.redirect('/profile', { notice: ui.t.profile.saved });
    }),

    kit.route('GET', '/profile/password', memberChangingPassword, async (_req, ui, session) =>
      ui.page(ui.t.password.title, passwordBody(ui.t, ui.form('password'), session.user.mustChangePassword)),
    ),
    kit.route('POST', '/profile/password', memberChangingPassword, async (req, ui, session) => {
      try {
        await auth.passwords.change(session, { currentPassword: text(req.body['currentPassword']), newPassword: text(req.body['newPassword']) });
      } catch (error) {
        return ui.passwordFailed('/profile/password', 'password', {}, error, 'currentPassword');
      }
      return ui.redirect('/profile', { notice: ui.t.password.done });
    }),

    kit.route('GET', '/profile/email', member, async (_req, ui, session) => ui.page(ui.t.email.title, emailBody(ui.t, await auth.accounts.getProfile(session), ui.form('email')))),
    kit.route('POST', '/profile/email', member, async (req, ui, session) => {
      const newEmail = text(req.body['newEmail']);
      try {
        await auth.accounts.requestEmailChange(session, { newEmail, currentPassword: text(req.body['currentPassword']) });
      } catch (error) {
        return ui.passwordFailed('/profile/email', 'email', { newEmail }, error, 'currentPassword', isAuthError(error, 'EMAIL_TAKEN') ? { _: 'newEmail' } : {});
      }
      return ui.redirect('/profile', { notice: ui.t.email.sent(newEmail.trim().toLowerCase()) });
    }),

    kit.route('POST', '/profile/sessions/:id/revoke', member, async (req, ui, session) => {
      try {
        await auth.sessions.revoke(session, req.params['id']!);
      } catch (error) {
        return ui.refused('/profile', error);
      }
      return ui.redirect('/profile', { notice: ui.t.profile.sessionEnded });
    }),
    kit.route('POST', '/profile/sessions/revoke-others', member, async (_req, ui, session) => {
      const count = await auth.sessions.revokeOthers(session);
      return ui.redirect('/profile', { notice: ui.t.profile.othersEnded(count) });
    }),
    kit.route('POST', '/profile/sessions/revoke-all', member, async (_req, ui, session) => {
      await auth.sessions.revokeOthers(session);
      await auth.sessions.logout(session);
      return ui.redirect('/login', { notice: ui.t.signedOut }, [http.cookie.clear()]);
    }),

    kit.route('GET', '/profile/two-factor', member, async (req, ui, session) => {
      const status = await auth.twoFactor.status(session);
      const pending = kit.opened<Enrolment>(req, ENROLMENT);
      const enrolment = status.pending && pending?.userId === session.user.id ? { secret: pending.secret, qr: qrDataUrl(pending.uri) } : undefined;
      return ui.page(ui.t.twoFactor.title, twoFactorBody(ui.t, { enabled: status.enabled, enrolment, codes: ui.codes, form: ui.form('two-factor') }));
    }),
    kit.route('POST', '/profile/two-factor/enrol', member, async (req, ui, session) => {
      try {
        const { secret, uri } = await auth.twoFactor.enrol(session, { password: text(req.body['password']) });
        const enrolment: Enrolment = { userId: session.user.id, secret, uri };
        return ui.redirect('/profile/two-factor', undefined, [cookies.seal(ENROLMENT, enrolment, ENROLMENT_LIFETIME)]);
      } catch (error) {
        return ui.passwordFailed('/profile/two-factor', 'two-factor', {}, error, 'password');
      }
    }),
    kit.route('POST', '/profile/two-factor/confirm', member, async (req, ui, session) => {
      try {
        const { recoveryCodes } = await auth.twoFactor.confirm(session, { code: text(req.body['code']) });
        return ui.redirect('/profile/two-factor', { notice: ui.t.twoFactor.turnedOn, codes: recoveryCodes }, [cookies.clear(ENROLMENT)]);
      } catch (error) {
        if (isAuthError(error, 'CONFLICT')) return ui.redirect('/profile/two-factor', { error: ui.t.twoFactor.restart }, [cookies.clear(ENROLMENT)]);
        if (isAuthError(error, 'TWO_FACTOR_INVALID')) return ui.redirect('/profile/two-factor', { form: { id: 'two-factor', values: {}, errors: { code: ui.t.twoFactor.wrongCode } } });
        return ui.failed('/profile/two-factor', 'two-factor', {}, error, { _: 'code' });
      }
    }),
    kit.route('POST', '/profile/two-factor/recovery-codes', member, async (req, ui, session) => {
      try {
        const { recoveryCodes } = await auth.twoFactor.regenerateRecoveryCodes(session, { password: text(req.body['password']) });
        return ui.redirect('/profile/two-factor', { notice: ui.t.twoFactor.newCodesDone, codes: recoveryCodes });
      } catch (error) {
        return ui.passwordFailed('/profile/two-factor', 'two-factor', {}, error, 'password');
      }
    }),
    kit.route('POST', '/profile/two-factor/disable', member, async (req, ui, session) => {
      try {
        await auth.twoFactor.disable(session, { password: text(req.body['password']) });
      } catch (error) {
        return ui.passwordFailed('/profile/two-factor', 'two-factor', {}, error, 'password');
      }
      return ui.redirect('/profile/two-factor', { notice: ui.t.twoFactor.turnedOff });
    }),
  ];
}

/** A QR code of the otpauth URI as an SVG data URL, for an `<img>`. */
function qrDataUrl(text: string): string {
  return `data:image/svg+xml;base64,${Buffer.from(renderSVG(text)).toString('base64')}`;
}
