// Prelude `express-handlers`: the app's own Express handlers.
declare const loginPage: import('express').RequestHandler;
declare const listUsers: import('express').RequestHandler;
declare const showOrder: import('express').RequestHandler;
declare const report: import('express').RequestHandler;
declare function ownerOf(orderId: string): Promise<string | null>;
export {};
