// Prelude `legacy-order`: a row of the old application's `pedidos` table.
declare const order: { usuario_id: number };
declare const pedido: { usuario_id: number };
export {};
