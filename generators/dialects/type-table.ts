import type { LogicalKind, LogicalType } from "../ir/types.js";

/**
 * One row per logical kind. Typed as a mapped type, so adding a kind to `LogicalKind` fails to compile in every
 * table until it is mapped (sqlglot's TYPE_MAPPING, made exhaustive by the compiler).
 */
export type TypeTable<R> = { readonly [K in LogicalKind]: (type: LogicalType & { readonly kind: K }) => R };

export function mapType<R>(table: TypeTable<R>, type: LogicalType): R {
  return (table[type.kind] as (type: LogicalType) => R)(type);
}
