/** The shop's own pages: the home page (a signed-in user's panel) and the catalogue with the user's orders. */
import type { Formats } from '../format.js';
import { html, type Html } from '../html.js';
import type { Catalog } from '../i18n/index.js';
import type { Order, OrderTotals, Product } from '../orders.js';
import { facts, formError, type FormState, type Viewer } from './layout.js';

/** A signed-in user's figures on the home page. */
export interface Panel {
  readonly orders: OrderTotals;
  readonly sessions: number;
  readonly lastSignIn: Date | null;
}

export function homeBody(t: Catalog, fmt: Formats, viewer: Viewer | null, panel: Panel | null): Html {
  if (viewer === null || panel === null) {
    return html`<p class="lead">${t.home.intro}</p>
<p class="actions"><a class="button primary" href="/register">${t.nav.register}</a> <a class="button" href="/login">${t.nav.signIn}</a> <a class="button" href="/shop">${t.home.toShop}</a></p>`;
  }
  return html`<section><h2>${t.home.panel}</h2>
${facts([
  [t.home.orders, panel.orders.count],
  [t.home.spent, fmt.money(panel.orders.total)],
  [t.home.sessions, panel.sessions],
  [t.home.lastSignIn, fmt.time(panel.lastSignIn, t.common.never)],
])}</section>
<p class="actions"><a class="button primary" href="/shop">${t.home.toShop}</a> <a class="button" href="/profile">${t.home.toProfile}</a>${viewer.can('users:view') ? html` <a class="button" href="/admin">${t.home.toAdmin}</a>` : ''}</p>`;
}

export function shopBody(t: Catalog, fmt: Formats, products: readonly Product[], orders: readonly Order[] | null, form: FormState): Html {
  const rows = products.map((product) => {
    const name = t.products[product.code] ?? product.code;
    const buy =
      orders === null
        ? ''
        : html`<form method="post" action="/shop/orders" class="buy"><input type="hidden" name="product" value="${product.code}">
<label class="sr-only" for="quantity-${product.code}">${t.shop.quantity}</label>
<input id="quantity-${product.code}" name="quantity" type="number" min="1" max="99" value="1" inputmode="numeric">
<button aria-label="${t.shop.buy}: ${name}">${t.shop.buy}</button></form>`;
    return html`<li class="product"><span class="name">${name}</span> <span class="price">${fmt.money(product.price)}</span>${buy}</li>`;
  });
  const own =
    orders === null
      ? html`<p><a href="/login?next=/shop">${t.shop.signInToBuy}</a></p>`
      : html`<section><h2>${t.shop.yourOrders}</h2>${
          orders.length === 0
            ? html`<p>${t.shop.noOrders}</p>`
            : html`<table class="stack"><thead><tr><th>${t.shop.date}</th><th>${t.shop.product}</th><th>${t.shop.quantity}</th><th>${t.shop.total}</th></tr></thead><tbody>${[...orders]
                .reverse()
                .map(
                  (order) =>
                    html`<tr><td data-label="${t.shop.date}">${fmt.time(order.createdAt)}</td><td data-label="${t.shop.product}">${t.products[order.item] ?? order.item}</td><td data-label="${t.shop.quantity}">${order.quantity}</td><td data-label="${t.shop.total}">${fmt.money(order.total)}</td></tr>`,
                )}</tbody></table>`
        }</section>`;
  return html`<p>${t.shop.intro}</p>${formError(form)}${form.errors['quantity'] ? html`<p class="alert" role="alert">${form.errors['quantity']}</p>` : ''}<ul class="products">${rows}</ul>${own}`;
}
