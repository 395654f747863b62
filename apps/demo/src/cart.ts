import type { Session } from '@coatcheck/core';

/** What the cloakroom shop sells: item id → label and price in cents. */
export const CATALOG = {
  umbrella: { name: 'Umbrella', priceCents: 2400 },
  scarf: { name: 'Wool scarf', priceCents: 3200 },
  gloves: { name: 'Gloves', priceCents: 1900 },
  hat: { name: 'Top hat', priceCents: 5500 },
  coat: { name: 'Trench coat', priceCents: 14900 },
  boots: { name: 'Rain boots', priceCents: 6800 },
} as const;

export type ItemId = keyof typeof CATALOG;

/** The part of a session the cart uses. */
export type CartSessionData = { cart: ItemId[] };

/** Keeps the session small: in cookie-only mode the whole cart travels in a 4 KB cookie. */
export const MAX_CART_ITEMS = 30;

export function isItemId(value: unknown): value is ItemId {
  return typeof value === 'string' && Object.hasOwn(CATALOG, value);
}

/** The cart grouped by item, in catalogue order, with quantities and the total. */
export function cartSummary(cart: readonly string[] = []) {
  const lines = (Object.keys(CATALOG) as ItemId[])
    .map((id) => ({ id, ...CATALOG[id], quantity: cart.filter((item) => item === id).length }))
    .filter((line) => line.quantity > 0);
  const totalCents = lines.reduce((sum, line) => sum + line.priceCents * line.quantity, 0);
  return { lines, count: cart.length, totalCents };
}

export function formatPrice(cents: number): string {
  return `€${(cents / 100).toFixed(2)}`;
}

/**
 * Adds `item` to the session's cart.
 * @returns why it could not, or `null` when it was added.
 */
export function addToCart(session: Session<CartSessionData>, item: unknown): string | null {
  if (!isItemId(item)) return `There is no item called ${JSON.stringify(String(item))}.`;
  if ((session.get('cart')?.length ?? 0) >= MAX_CART_ITEMS)
    return `Your cart is full (${MAX_CART_ITEMS} items).`;
  // update() re-runs on the latest cart when another request saved first, so no add is ever lost.
  session.update((data) => ({ ...data, cart: [...(data.cart ?? []), item].slice(0, MAX_CART_ITEMS) }));
  return null;
}
