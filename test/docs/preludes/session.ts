// Prelude `session`: a signed-in request's context and what a form sent.
declare const ctx: import('gatehouse').AuthContext;
declare const token: string;
declare const client: import('gatehouse').ClientInfo;
declare const userId: string;
declare const email: string;
declare const password: string;
declare const code: string;
export {};
