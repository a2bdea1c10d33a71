/** The one error of rendering: a construct a dialect cannot express (`DIALECT.UNSUPPORTED`), never approximated. */

export type SqlDialect = "duckdb" | "spark";

export class DialectError extends Error {
  readonly code = "DIALECT.UNSUPPORTED";
  constructor(
    readonly dialect: SqlDialect,
    readonly construct: string,
    readonly reason: string,
    readonly fix: string,
  ) {
    super(`DIALECT.UNSUPPORTED: ${dialect} cannot express ${construct}: ${reason} Fix: ${fix}`);
    this.name = "DialectError";
  }
}
