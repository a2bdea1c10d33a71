import type { Diagnostic } from "../lib/errors.js";
import type { ContractIR } from "../ir/types.js";

/** One generated file: repository-relative path (`/` separators) and its exact contents (LF, trailing newline). */
export interface GeneratedFile {
  readonly path: string;
  readonly contents: string;
}

export interface EmitResult {
  readonly files: readonly GeneratedFile[];
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * A target turns the IR into files. `emit` is pure: no file system, clock, environment or randomness, so the same
 * IR gives the same bytes on every machine (the drift check depends on it).
 */
export interface Target {
  readonly id: string;
  readonly description: string;
  emit(ir: ContractIR): EmitResult | Promise<EmitResult>;
}
