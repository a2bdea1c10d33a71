/**
 * The catalog's coded errors: what went wrong, and how to fix it. The CLI prints them as
 * `error CODE: message` + `  fix: …` and exits 2.
 */
import { ERROR_CODES } from "../generators/lib/errors.js";
const CODES = ["CLI.USAGE", "CLI.NO_CONTRACTS", "CATALOG.CONTRACT", "CATALOG.NO_RUN", "CATALOG.BAD_RUN", "CATALOG.RUN_IN_PROGRESS", "CATALOG.BASE", "CATALOG.UNOWNED_FILE", "CATALOG.LINKED_FOLDER", "CATALOG.WRITE", "CATALOG.SERVE"] as const;

/** The catalog's codes, with their meaning from the project's one table (`generators/lib/errors.ts`). */
export const CATALOG_ERROR_CODES = Object.fromEntries(CODES.map((code) => [code, ERROR_CODES[code]])) as { readonly [C in (typeof CODES)[number]]: (typeof ERROR_CODES)[C] };

export type CatalogErrorCode = keyof typeof CATALOG_ERROR_CODES;

export class CatalogError extends Error {
  constructor(
    readonly code: CatalogErrorCode,
    message: string,
    readonly fix: string,
  ) {
    super(message);
    this.name = "CatalogError";
  }

  format(): string {
    return `error ${this.code}: ${this.message}\n  fix: ${this.fix}\n`;
  }
}
