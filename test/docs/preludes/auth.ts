// Prelude `auth`: the object createAuth() returned.
declare const auth: import('gatehouse').Auth;
export {};
