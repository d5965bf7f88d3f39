import { randomUUID } from 'node:crypto';

/** An order of the toy resource that shows `orders:view` against `orders:view:own`. */
export interface Order {
  readonly id: string;
  readonly ownerId: string;
  readonly item: string;
  readonly quantity: number;
}

/** The example's orders, in memory. */
export class OrderBook {
  readonly #orders: Order[] = [];

  add(ownerId: string, item: string, quantity: number): Order {
    const order = { id: randomUUID(), ownerId, item, quantity };
    this.#orders.push(order);
    return order;
  }

  /** Every order the predicate lets through, oldest first. */
  list(visible: (order: Order) => boolean): Order[] {
    return this.#orders.filter(visible);
  }
}
