/** The catalogue and a signed-in user's orders. */
import { member, open, type PageKit, type PageRoute } from '../page-kit.js';
import { PRODUCTS } from '../orders.js';
import { shopBody } from '../views/shop.js';

export function shopPages(kit: PageKit): PageRoute[] {
  const { orders } = kit.runtime;
  return [
    kit.route('GET', '/shop', open, async (_req, ui, session) => {
      const own = session === null ? null : orders.list((order) => order.ownerId === session.user.id);
      return ui.page(ui.t.shop.title, shopBody(ui.t, ui.fmt, PRODUCTS, own, ui.form('order')));
    }),
    kit.route('POST', '/shop/orders', member, async (req, ui, session) => {
      const product = PRODUCTS.find((candidate) => candidate.code === req.body['product']);
      const quantity = Number(req.body['quantity']);
      if (product === undefined) return ui.redirect('/shop', { error: ui.t.shop.unknownProduct });
      if (!Number.isInteger(quantity) || quantity < 1 || quantity > 99) return ui.redirect('/shop', { error: ui.t.shop.badQuantity });
      orders.add(session.user.id, product.code, quantity);
      return ui.redirect('/shop', { notice: ui.t.shop.ordered(quantity, ui.t.products[product.code] ?? product.code) });
    }),
  ];
}
