/**
 * apache-arrow, loaded from its single minified build: the package's ES-module entry loads a few hundred small
 * modules (about 0.3 s of a cold `generate`), the minified build is one file (about 0.07 s). Same version, same
 * classes; the types come from the package's own declarations.
 */
import { createRequire } from "node:module";

export type * as Arrow from "apache-arrow";

export const arrow = createRequire(import.meta.url)("apache-arrow/Arrow.esnext.min") as typeof import("apache-arrow");
