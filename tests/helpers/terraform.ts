/**
 * Reads Terraform configurations with a real HCL parser (@cdktf/hcl2json: HashiCorp's HCL library compiled to
 * WebAssembly, runs offline) and extracts what the wiring and IAM tests need.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parse } from "@cdktf/hcl2json";

export type Hcl = { [key: string]: any };

export interface TerraformDir {
  /** Repository-relative directory. */
  readonly dir: string;
  readonly files: readonly string[];
  readonly variables: Record<string, Hcl>;
  readonly outputs: Record<string, Hcl>;
  readonly locals: Set<string>;
  readonly resources: Record<string, Record<string, Hcl>>;
  readonly data: Record<string, Record<string, Hcl>>;
  readonly modules: Record<string, Hcl>;
  /** Every parsed file's body merged (for reference scans). */
  readonly bodies: readonly Hcl[];
}

/** Every directory under `start` (inclusive) that holds `.tf` files, sorted. */
export function terraformDirs(root: string, start: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    const entries = readdirSync(dir, { withFileTypes: true });
    if (entries.some((e) => e.isFile() && e.name.endsWith(".tf"))) found.push(relative(root, dir).split("\\").join("/"));
    for (const e of entries) if (e.isDirectory() && !e.name.startsWith(".")) walk(join(dir, e.name));
  };
  if (existsSync(join(root, start))) walk(join(root, start));
  return found.sort();
}

function first(blocks: unknown): Hcl {
  return (Array.isArray(blocks) ? blocks[0] : blocks) as Hcl;
}

export async function readTerraformDir(root: string, dir: string): Promise<TerraformDir> {
  const files = readdirSync(join(root, dir)).filter((name) => name.endsWith(".tf")).sort();
  const result: TerraformDir = { dir, files, variables: {}, outputs: {}, locals: new Set(), resources: {}, data: {}, modules: {}, bodies: [] };
  for (const name of files) {
    const body = (await parse(`${dir}/${name}`, readFileSync(join(root, dir, name), "utf8"))) as Hcl;
    (result.bodies as Hcl[]).push(body);
    for (const [key, value] of Object.entries(body.variable ?? {})) result.variables[key] = first(value);
    for (const [key, value] of Object.entries(body.output ?? {})) result.outputs[key] = first(value);
    for (const block of (body.locals ?? []) as Hcl[]) for (const key of Object.keys(block)) result.locals.add(key);
    for (const [key, value] of Object.entries(body.module ?? {})) result.modules[key] = first(value);
    for (const kind of ["resource", "data"] as const) {
      for (const [type, named] of Object.entries((body[kind] ?? {}) as Hcl)) {
        const target = (result[kind === "resource" ? "resources" : "data"][type] ??= {});
        for (const [name, value] of Object.entries(named as Hcl)) target[name] = first(value);
      }
    }
  }
  return result;
}

/** Every string inside a parsed value (expressions appear as `${...}` strings). */
export function allStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) allStrings(v, out);
  else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) allStrings(v, allStrings(k, out));
  return out;
}

export interface References {
  readonly variables: Set<string>;
  readonly locals: Set<string>;
  readonly moduleOutputs: Set<string>;
  readonly resources: Set<string>;
  readonly data: Set<string>;
}

/** References inside interpolations: `var.x`, `local.x`, `module.m.o`, `data.t.n`, `aws_t.n`. */
export function referencesIn(dir: TerraformDir): References {
  const refs: References = { variables: new Set(), locals: new Set(), moduleOutputs: new Set(), resources: new Set(), data: new Set() };
  for (const text of dir.bodies.flatMap((b) => allStrings(b))) {
    if (!text.includes("${")) continue;
    for (const m of text.matchAll(/(?<![\w.])var\.([A-Za-z_][\w-]*)/g)) refs.variables.add(m[1]!);
    for (const m of text.matchAll(/(?<![\w.])local\.([A-Za-z_][\w-]*)/g)) refs.locals.add(m[1]!);
    for (const m of text.matchAll(/(?<![\w.])module\.([A-Za-z_][\w-]*)\.([A-Za-z_][\w-]*)/g)) refs.moduleOutputs.add(`${m[1]}.${m[2]}`);
    for (const m of text.matchAll(/(?<![\w.])data\.([a-z][\w]*)\.([A-Za-z_][\w-]*)/g)) refs.data.add(`${m[1]}.${m[2]}`);
    for (const m of text.matchAll(/(?<![\w.])(aws_[a-z0-9_]+)\.([A-Za-z_][\w-]*)/g)) refs.resources.add(`${m[1]}.${m[2]}`);
  }
  return refs;
}

/** IAM policy statements of every `aws_iam_policy_document`, static and dynamic, with where they are. */
export function policyStatements(dir: TerraformDir): { where: string; statement: Hcl }[] {
  const out: { where: string; statement: Hcl }[] = [];
  for (const [name, doc] of Object.entries(dir.data.aws_iam_policy_document ?? {})) {
    const where = `${dir.dir}: data.aws_iam_policy_document.${name}`;
    for (const statement of (doc.statement ?? []) as Hcl[]) out.push({ where, statement });
    for (const dynamic of (doc.dynamic?.statement ?? []) as Hcl[]) {
      for (const content of (dynamic.content ?? []) as Hcl[]) out.push({ where: `${where} (dynamic)`, statement: content });
    }
  }
  return out;
}
