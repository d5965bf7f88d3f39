import {
  OperationNodeTransformer,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type PrimitiveValueListNode,
  type QueryId,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
  type ValueNode,
} from 'kysely';

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `2030-01-01 00:00:00.000`: a `DATETIME(3)` literal of the instant in UTC. */
export function toUtcDatetime(date: Date): string {
  return (
    `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${pad(date.getUTCMilliseconds(), 3)}`
  );
}

const convert = (value: unknown): unknown => (value instanceof Date ? toUtcDatetime(value) : value);

class UtcDatetimeTransformer extends OperationNodeTransformer {
  protected override transformValue(node: ValueNode, queryId?: QueryId): ValueNode {
    const transformed = super.transformValue(node, queryId);
    return transformed.value instanceof Date ? { ...transformed, value: convert(transformed.value) } : transformed;
  }

  protected override transformPrimitiveValueList(node: PrimitiveValueListNode, queryId?: QueryId): PrimitiveValueListNode {
    const transformed = super.transformPrimitiveValueList(node, queryId);
    return transformed.values.some((v) => v instanceof Date) ? { ...transformed, values: transformed.values.map(convert) } : transformed;
  }
}

/**
 * Sends every `Date` parameter as a UTC `DATETIME(3)` literal, so what is stored does not
 * depend on the `timezone` setting of the mysql2 pool (whose default is the local zone).
 */
export class UtcDatetimePlugin implements KyselyPlugin {
  readonly #transformer = new UtcDatetimeTransformer();

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.#transformer.transformNode(args.node, args.queryId);
  }

  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
}
