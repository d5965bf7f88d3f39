// Prelude `express-app`: an Express app with gatehouse on it, and its server.
declare const app: import('express').Express;
declare const gate: import('gatehouse/express').ExpressAuth;
declare const server: import('node:http').Server;
export {};
