/**
 * The IR of each dataset as JSON, for runners and checkers that are not written in TypeScript (and for humans
 * curious about what the generators see).
 */
import { headerLines, jsonText } from "../../lib/header.js";
import type { ContractIR } from "../../ir/types.js";
import type { EmitResult, Target } from "../types.js";

export const irJsonTarget: Target = {
  id: "ir-json",
  description: "The intermediate representation of each dataset as JSON",
  emit(ir: ContractIR): EmitResult {
    return {
      files: ir.datasets.map((dataset) => ({
        path: `generated/ir/${dataset.name}.ir.json`,
        contents: jsonText({ $comment: headerLines(dataset).join(" "), irVersion: ir.irVersion, dataset }),
      })),
      diagnostics: [],
    };
  },
};
