/**
 * gatehouse — accounts, sessions and role-based access control for Node.js.
 *
 * The core: services behind ports. The framework-free HTTP layer is `gatehouse/http`, JWT
 * access tokens are `gatehouse/jwt`; stores, mailers and framework helpers live in their own
 * entry points (`gatehouse/memory`, `gatehouse/postgres`, `gatehouse/express`, …).
 * @packageDocumentation
 */
export { createAuth, type Auth } from './create-auth.js';
export type { AuthOptions, OnRegister, ErrorReporter } from './options.js';
export type { RetentionOptions, RetentionSetting } from './validation/retention-options.js';
export {
  AuthError,
  isAuthError,
  AUTH_ERROR_CODES,
  type AuthErrorCode,
  type AuthErrorCodeInfo,
  type AuthErrorJson,
  type AuthErrorOptions,
  type FieldIssue,
} from './errors.js';
export { authErrorMessage, AUTH_ERROR_MESSAGES, type AuthErrorMessages } from './error-messages.js';
export { fieldIssueMessage } from './validation/issue-messages.js';
export {
  AuthEvents,
  type AuthEventMap,
  type AuthEventName,
  type AuthEventListener,
  type AuthEventContext,
  type EventPhase,
  type UserEventPayload,
  type ActorEventPayload,
} from './events.js';

export type { AccountService, RegisterInput, ProfileInput, UserResult } from './services/account-service.js';
export type { SessionService, SessionListItem, CleanupReport } from './services/session-service.js';
export type { SignInService, LoginInput, LoginResult, TwoFactorStepInput } from './services/sign-in-service.js';
export type { PasswordService } from './services/password-service.js';
export type { AccessService } from './services/access-service.js';
export type { RoleService, RoleInput, RoleUpdate, PermissionInput, RoleDetails, SeedResult } from './services/role-service.js';
export type { UserAdminService } from './services/user-admin-service.js';
export type {
  UserListQuery,
  RoleAssignmentInput,
  AdminCreateUserInput,
  AdminEditUserInput,
  BlockInput,
  UserDetails,
  UserSummary,
} from './services/user-admin-types.js';
export type { AuditService, AuditQuery, Refusal } from './services/audit-service.js';
export type { RateLimitService } from './services/rate-limit-service.js';
export type { MaintenanceService, MaintenanceReport } from './services/maintenance-service.js';
export type { TwoFactorService, TwoFactorStatus, TwoFactorEnrolment, SecondFactor, RecoveryCodes } from './services/two-factor-service.js';
export { ecommercePreset, type Preset, type PresetRole, type PresetPermission } from './domain/preset.js';
export { PERMISSION_CODE, ROLE_CODE, type OwnedResource } from './domain/permission.js';
export type { AuthContext, SystemActor, Actor } from './domain/principal.js';
export { createAccessTokenPrincipal, type AccessTokenPrincipal, type AccessSubject, type TokenRole, type TokenFields } from './domain/principal.js';

export { USER_STATUSES, type User, type UserRecord, type UserPatch, type UserStatus, type JsonObject, type JsonValue } from './domain/user.js';
export type {
  ImportRecord,
  ImportPassword,
  PasswordScheme,
  ImportRoleAssignment,
  ImportPasswordHistoryEntry,
  ImportActivity,
  ImportUserReference,
  ImportTwoFactor,
  ImportOutcome,
  ImportRefused,
  ImportResult,
  ImportOptions,
} from './domain/import.js';
export { IDENTIFIER_NAME, IDENTIFIER_VALUE_MAX, type UserIdentifier } from './domain/identifier.js';
export type { Role, Permission, UserRole, RoleGrant, ActiveRole } from './domain/role.js';
export type { Session, SessionRecord } from './domain/session.js';
export { ImmutableDate, immutableDate } from './domain/immutable.js';
export type { OneTimeKey, KeyPurpose } from './domain/one-time-key.js';
export type { Activity, LoginAttempt, PasswordHistoryEntry, Page, ListPage, PageStart } from './domain/activity.js';
export { searchWordsOf, searchTermsOf, matchesSearch, SEARCH_WORD_MAX, SEARCH_WORDS_PER_USER, SEARCH_TERMS_MAX, type SearchTerms } from './domain/search-words.js';
export { rateLimitKey, type ClientInfo, type NormalizedClient } from './domain/client.js';

export {
  AUTH_STORE_METHODS,
  TWO_FACTOR_STORE_METHODS,
  SIGN_IN_STORE_METHODS,
  type AuthStore,
  type TwoFactorStore,
  type SignInStore,
  type UserQuery,
  type UserOrder,
  type ActivityQuery,
  type ExpiredRows,
  type DeletedRows,
  type SessionBundle,
  type LoginFailureFilter,
} from './ports/auth-store.js';
export type { SignInStart, SignInState, SignInFinish } from './ports/sign-in-steps.js';
export type { AppTransaction, AppQueryResult } from './ports/app-transaction.js';
export type { ImportBatchStore } from './ports/import-batch-store.js';
export { rateLimitDecision, type RateLimitStore, type RateLimitHit, type RateLimit, type RateLimitDecision } from './ports/rate-limit-store.js';
export { FixedWindowRateLimiter } from './rate-limits/fixed-window-rate-limiter.js';
export { MemoryRateLimitStore } from './rate-limits/memory-rate-limit-store.js';
export type { TwoFactorRecord } from './domain/two-factor.js';
export type { Mailer, MailMessage, MailKind } from './ports/mailer.js';
export {
  MAIL_CATALOGS,
  renderMail,
  escapeHtml,
  type MailCatalog,
  type MailTemplate,
  type MailData,
  type MailParts,
  type RenderedMail,
} from './mail/templates.js';
export { isValidEmail } from './validation/schemas.js';
export { normalizeEmail } from './validation/email.js';
export { PASSWORD_CHECK_TIMEOUT, type PasswordCheck, type PasswordCheckContext } from './validation/password-policy.js';
export { pwnedPasswordsCheck, type PwnedPasswordsOptions } from './validation/pwned-passwords.js';
export type { PasswordHasher } from './ports/password-hasher.js';
export type { PasswordVerifier } from './crypto/legacy-hashes.js';
export type { LegacyUserSource } from './ports/legacy-user-source.js';
export type { AccessTokens, IssuedAccessToken, JsonWebKeySet } from './ports/access-tokens.js';
export { systemClock, cryptoRandom, type Clock, type RandomSource } from './ports/clock.js';
export { Argon2PasswordHasher, type Argon2Options } from './crypto/argon2-password-hasher.js';
export type { StandardSchemaV1, StandardResult, StandardIssue } from './validation/standard-schema.js';
