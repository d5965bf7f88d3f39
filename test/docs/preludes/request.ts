// Prelude `request`: what a request carried: a session token, the client, form fields, a user id.
declare const token: string;
declare const client: import('gatehouse').ClientInfo;
declare const userId: string;
declare const email: string;
declare const password: string;
declare const code: string;
export {};
