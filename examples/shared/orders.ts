import { randomUUID } from 'node:crypto';

/** A product of the shop's small catalogue; its name is in the page catalogs, under `products`. */
export interface Product {
  readonly code: string;
  /** Unit price in cents (USD). */
  readonly price: number;
}

/** What the shop sells. */
export const PRODUCTS: readonly Product[] = [
  { code: 'coffee', price: 1250 },
  { code: 'cacao', price: 900 },
  { code: 'hammock', price: 4800 },
  { code: 'arepa-kit', price: 1575 },
];

/** An order of the toy resource that shows `orders:view` against `orders:view:own`. */
export interface Order {
  readonly id: string;
  readonly ownerId: string;
  /** A product code of {@link PRODUCTS}, or any text for an item the catalogue does not price. */
  readonly item: string;
  readonly quantity: number;
  /** Cents; 0 for an item the catalogue does not price. */
  readonly unitPrice: number;
  /** `quantity × unitPrice`, in cents. */
  readonly total: number;
  readonly createdAt: Date;
}

/** How many orders and how much they came to, in cents. */
export interface OrderTotals {
  readonly count: number;
  readonly total: number;
}

/** The example's orders, in memory: a real shop keeps them in its own tables. */
export class OrderBook {
  readonly #orders: Order[] = [];

  /** Records an order, priced from the catalogue (never from the request). */
  add(ownerId: string, item: string, quantity: number): Order {
    const unitPrice = PRODUCTS.find((product) => product.code === item)?.price ?? 0;
    const order = { id: randomUUID(), ownerId, item, quantity, unitPrice, total: unitPrice * quantity, createdAt: new Date() };
    this.#orders.push(order);
    return order;
  }

  /** Every order the predicate lets through, oldest first. */
  list(visible: (order: Order) => boolean): Order[] {
    return this.#orders.filter(visible);
  }

  /** The orders of one user and their total (seed 004's `total_pedidos` and `gasto_total`). */
  totalsOf(ownerId: string): OrderTotals {
    const own = this.list((order) => order.ownerId === ownerId);
    return { count: own.length, total: own.reduce((sum, order) => sum + order.total, 0) };
  }
}
