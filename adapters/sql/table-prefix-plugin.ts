import {
  OperationNodeTransformer,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type SchemableIdentifierNode,
  type UnknownRow,
} from 'kysely';
import type { QueryId } from 'kysely';
import { TABLE_NAMES } from './schema.js';

const OWN_TABLES: ReadonlySet<string> = new Set(TABLE_NAMES);

class TablePrefixTransformer extends OperationNodeTransformer {
  constructor(readonly prefix: string) {
    super();
  }

  protected override transformSchemableIdentifier(node: SchemableIdentifierNode, queryId?: QueryId): SchemableIdentifierNode {
    const transformed = super.transformSchemableIdentifier(node, queryId);
    const name = transformed.identifier.name;
    // Only gatehouse's own table names: aliases (`ur`, `r`) and the migrator's tables pass unchanged.
    if (!OWN_TABLES.has(name)) return transformed;
    return { ...transformed, identifier: { ...transformed.identifier, name: `${this.prefix}${name}` } };
  }
}

/**
 * Renames gatehouse's tables (`users` → `auth_users`) in every query, so the queries are
 * written once with the plain names. Aliases must never be one of those names.
 */
export class TablePrefixPlugin implements KyselyPlugin {
  readonly #transformer: TablePrefixTransformer;

  constructor(prefix: string) {
    this.#transformer = new TablePrefixTransformer(prefix);
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.#transformer.transformNode(args.node, args.queryId);
  }

  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
}
