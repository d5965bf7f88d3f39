// Prelude `express-app`: an Express app, gatehouse on it, and the app's own handlers.
declare const app: import('express').Express;
declare const gate: import('gatehouse/express').ExpressAuth;
declare const server: import('node:http').Server;
declare const loginPage: import('express').RequestHandler;
declare const listUsers: import('express').RequestHandler;
declare const showOrder: import('express').RequestHandler;
declare const report: import('express').RequestHandler;
declare function ownerOf(orderId: string | undefined): Promise<string | null>;
export {};
