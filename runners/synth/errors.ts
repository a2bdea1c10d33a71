/**
 * Coded errors of the synthetic data generator: `{ code, message, where, fix }`, printed like the generator's
 * diagnostics (`<where>: error <code>: <message>\n  fix: <fix>`). Usage errors use the project's `CLI.USAGE`.
 */
import type { ERROR_CODES } from "../../generators/lib/errors.js";
/** The generator's codes: `CLI.USAGE` and the `SYNTH.*` codes of the project's one table, `ERROR_CODES`. */
export type SynthErrorCode = Extract<keyof typeof ERROR_CODES, "CLI.USAGE" | `SYNTH.${string}`>;

export class SynthError extends Error {
  constructor(
    readonly code: SynthErrorCode,
    readonly detail: string,
    readonly fix: string,
    /** `contracts/review.contract.ts:22:3 at review.vote`, or a flag (`--records`). */
    readonly where?: string,
  ) {
    super(`${where ? `${where}: ` : ""}error ${code}: ${detail}\n  fix: ${fix}`);
    this.name = "SynthError";
  }
}

/** `contracts/review.contract.ts:22:3 at review.vote` for a raw field's declaration. */
export function fieldWhere(where: { readonly file: string; readonly line: number; readonly column: number; readonly path: string }): string {
  return `${where.file}:${where.line}:${where.column} at ${where.path}`;
}
