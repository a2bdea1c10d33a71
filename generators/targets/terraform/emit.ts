/**
 * Terraform inputs: every infrastructure value that comes from a contract, in one JSON document
 * (`generated/terraform/contracts.json`) that the hand-written root module in `infra/` reads with
 * `jsondecode(file(...))`. Buckets, prefixes, Glue job names/scripts/arguments, the EventBridge event pattern and
 * the state machine definition file therefore cannot drift from the contracts.
 *
 * JSON, not HCL: Terraform decodes it natively and nothing here needs escaping for HCL.
 */
import { diagnostic, type Diagnostic } from "../../lib/errors.js";
import { combinedHeaderLines, jsonText } from "../../lib/header.js";
import { splitS3Location } from "../../lib/s3-location.js";
import { compareCodePoints } from "../../lib/sort.js";
import type { ContractIR, DatasetIR, JsonValue } from "../../ir/types.js";
import { aslPath, runPaths, stateMachineName } from "../step-functions/emit.js";
import { glueArgumentFlags, glueJobNames, glueScriptPath } from "../glue-jobs.js";
import type { EmitResult, Target } from "../types.js";

export const TERRAFORM_INPUTS_PATH = "generated/terraform/contracts.json";

export type Zone = "raw" | "cleaned" | "quarantine" | "processed";
export const ZONES: readonly Zone[] = ["raw", "cleaned", "quarantine", "processed"];

/** Raw files the pipeline accepts: JSON lines, optionally gzip-compressed. */
export const RAW_OBJECT_SUFFIXES = [".json", ".json.gz", ".jsonl", ".jsonl.gz"] as const;

/**
 * EventBridge wildcard patterns treat `*` as "any characters, `/` included"; a literal `*` or `\` in the prefix
 * must be escaped with `\` (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-wildcard-matching).
 */
export function wildcardLiteral(text: string): string {
  return text.replace(/[\\*]/g, (c) => `\\${c}`);
}

/**
 * S3 "Object Created" events of the raw objects of one dataset. Values inside one array are OR-ed and keys are
 * AND-ed, so prefix AND suffix on the same key is one wildcard per accepted suffix, never a prefix entry plus a
 * suffix entry (that would match either). https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-s3.html
 */
export function rawObjectCreatedPattern(dataset: DatasetIR): JsonValue {
  const raw = splitS3Location(dataset.locations.raw);
  return {
    source: ["aws.s3"],
    "detail-type": ["Object Created"],
    detail: {
      bucket: { name: [raw.bucket] },
      object: { key: RAW_OBJECT_SUFFIXES.map((suffix) => ({ wildcard: `${wildcardLiteral(raw.prefix)}*${suffix}` })) },
    },
  };
}

function datasetInputs(dataset: DatasetIR): JsonValue {
  const jobs = glueJobNames(dataset);
  const zone = (name: Zone) => {
    const location = splitS3Location(dataset.locations[name]);
    return { bucket: location.bucket, prefix: location.prefix, uri: dataset.locations[name] };
  };
  return {
    contract: { file: dataset.contract.file, version: dataset.contract.version, hash: dataset.contract.hash, owner: dataset.contract.owner },
    locations: { raw: zone("raw"), cleaned: zone("cleaned"), quarantine: zone("quarantine"), processed: zone("processed") },
    glue_jobs: {
      clean: {
        name: jobs.clean,
        script_source: glueScriptPath(dataset, "clean"),
        script_key: `glue/clean_${dataset.name}.py`,
        arguments: glueArgumentFlags("clean"),
      },
      flatten: {
        name: jobs.flatten,
        script_source: glueScriptPath(dataset, "flatten"),
        script_key: `glue/flatten_${dataset.name}.py`,
        arguments: glueArgumentFlags("flatten"),
      },
    },
    state_machine: { name: stateMachineName(dataset), definition_file: aslPath(dataset) },
    event_rule: { name: `${dataset.name}-raw-object-created`, event_pattern: rawObjectCreatedPattern(dataset) },
    run_paths: runPaths(dataset),
  };
}

/** Every bucket once, with its zone and the dataset prefixes in it; a bucket may not serve two zones. */
function bucketInputs(ir: ContractIR, diagnostics: Diagnostic[]): JsonValue {
  const buckets = new Map<string, { zone: Zone; prefixes: Set<string>; datasets: Set<string> }>();
  for (const dataset of ir.datasets) {
    for (const zone of ZONES) {
      const { bucket, prefix } = splitS3Location(dataset.locations[zone]);
      const entry = buckets.get(bucket) ?? { zone, prefixes: new Set<string>(), datasets: new Set<string>() };
      if (entry.zone !== zone) {
        diagnostics.push(
          diagnostic(
            "INFRA.BUCKET_ZONE_CONFLICT",
            `Bucket "${bucket}" is used for the ${entry.zone} zone and, by dataset ${dataset.name}, for the ${zone} zone.`,
            { file: dataset.contract.file, path: `${dataset.name}.locations.${zone}` },
            "Give every zone its own bucket in `locations` (raw objects are immutable, the other zones are not).",
          ),
        );
        continue;
      }
      entry.prefixes.add(prefix);
      entry.datasets.add(dataset.name);
      buckets.set(bucket, entry);
    }
  }
  for (const zone of ZONES) checkOverlaps(ir, zone, diagnostics);
  const names = [...buckets.keys()].sort(compareCodePoints);
  return Object.fromEntries(
    names.map((name) => {
      const entry = buckets.get(name)!;
      return [name, { zone: entry.zone, prefixes: [...entry.prefixes].sort(compareCodePoints), datasets: [...entry.datasets].sort(compareCodePoints) }];
    }),
  );
}

/**
 * Within one bucket, no dataset's prefix may contain another's: the raw rule of the outer dataset would start its
 * pipeline for the inner dataset's objects too, and the outer external table would read the inner one's files.
 */
function checkOverlaps(ir: ContractIR, zone: Zone, diagnostics: Diagnostic[]): void {
  const located = ir.datasets.map((dataset) => ({ dataset, ...splitS3Location(dataset.locations[zone]) }));
  for (const [i, a] of located.entries()) {
    for (const b of located.slice(i + 1)) {
      if (a.bucket !== b.bucket || !(a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix))) continue;
      diagnostics.push(
        diagnostic(
          "INFRA.OVERLAPPING_PREFIX",
          `The ${zone} locations of datasets ${a.dataset.name} (${a.dataset.locations[zone]}) and ${b.dataset.name} (${b.dataset.locations[zone]}) overlap.`,
          { file: b.dataset.contract.file, path: `${b.dataset.name}.locations.${zone}` },
          "Give each dataset its own prefix, neither inside the other (e.g. s3://bucket/reviews/ and s3://bucket/products/).",
        ),
      );
    }
  }
}

export function terraformInputs(ir: ContractIR, diagnostics: Diagnostic[] = []): JsonValue {
  return {
    "//": combinedHeaderLines(ir.datasets).join(" "),
    raw_object_suffixes: [...RAW_OBJECT_SUFFIXES],
    buckets: bucketInputs(ir, diagnostics),
    datasets: Object.fromEntries(ir.datasets.map((dataset) => [dataset.name, datasetInputs(dataset)])),
  };
}

export const terraformTarget: Target = {
  id: "terraform",
  description: "Terraform inputs (buckets, prefixes, Glue jobs, EventBridge patterns, state machines) for infra/",
  emit(ir: ContractIR): EmitResult {
    const diagnostics: Diagnostic[] = [];
    const contents = jsonText(terraformInputs(ir, diagnostics));
    return { files: [{ path: TERRAFORM_INPUTS_PATH, contents }], diagnostics };
  },
};
