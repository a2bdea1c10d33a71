/**
 * The launcher of the project's commands: runs a command's CLI (`main(argv, out, err, …)` of a TypeScript module)
 * from a single-file build of it, kept in `node_modules/.cache/review-contracts-<command>/`. Plain JavaScript, so
 * bare `node` runs it. Entries: `generators/launch.mjs` (`npm run generate`, with the contracts) and
 * `runners/local-pipeline/launch.mjs` (`npm run pipeline:local`).
 *
 * Why: through tsx every module is resolved and transformed by loader hooks on another thread, which cost most of a
 * cold `generate --check` (about 370 modules) and about 0.3 s of every `pipeline:local` start; one prebuilt file loads
 * in a fraction of that.
 *
 * The build is esbuild's, with the options tsx transforms with (target: this Node, keepNames). A command that loads
 * contracts gets them in a second, small build of their own, so that editing a contract (what users do before each
 * `npm run generate`) rebuilds only that one (tens of milliseconds) and not the generator's (several hundred). They
 * must share the generator's instances of `zod` and of the contract kit (classes, registries, metadata): the
 * generator's build exports those modules (`SHARED`), and the contracts' build reads them from there instead of
 * bundling copies. A contract that imports any other module of the generator's build is built together with the
 * generator in one bundle instead (slower to rebuild, the same answers). Each contract is evaluated only when
 * `loadContracts` imports it. A cache entry is found by a key of the esbuild and Node versions, this file and the
 * command's entry, the repository root (and, for the contracts, the contract list and the generator's bundle); it
 * holds a bundle named by the sha256 of every input the build read (content, not timestamps: each input is hashed
 * from the very bytes esbuild compiled, so an edit during a build cannot be cached as the edited version). Files are
 * written under a temporary name and renamed, so a concurrent run never reads half a file; the temporary is a new file
 * under a random name (`writeAtomically`), so a link planted in the cache folder is not written through.
 *
 * Whenever the fast path could answer differently from `node --import tsx <cli.ts>`, it runs that instead, with the
 * same arguments and standard streams, before anything was printed or written: the build fails (a syntax error, an
 * import that does not resolve), a contract throws while it is evaluated (its CONTRACT.LOAD_FAILED line and column
 * are the source's, not the bundle's), the contract folder changed since the build, or the cache cannot be read or
 * written. A cached file that does not load (truncated, corrupt) is rebuilt once before that.
 *
 * REVIEW_CONTRACTS_CACHE_DIR overrides the cache folder (tests; a read-only node_modules). REVIEW_CONTRACTS_LAUNCH_PREPARE=1
 * with no arguments only fills the cache (the bundles `argv` would need) and exits 0 whatever happens: `npm ci` and `npm install` run it
 * (the `prepare` script), so that the first command after an install starts from the cache.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire, SourceMap } from "node:module";
import { basename, dirname, extname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const SELF = fileURLToPath(import.meta.url);
const ROOT = dirname(dirname(SELF));
/** generators/ir/load.ts: CONTRACT_SUFFIX and findContractFiles. */
const CONTRACT_SUFFIX = ".contract.ts";
/** Cache entries kept, the newest (per launcher, Node and esbuild version: the generator's, and the contracts' or the
 * combined one per contract folder). */
const KEEP_ENTRIES = 16;
const ENTRY = "launch-entry";
/**
 * The modules contracts share with the generator, as its build resolves them from the repository root: the contracts'
 * build reads them from the generator's bundle (`shared`, by path), through this global while contracts are evaluated.
 */
const SHARED = ["zod", "./generators/contract-kit/index.ts"];
const SHARED_GLOBAL = Symbol.for("review-contracts.launcher.shared");
const SHARED_NAMESPACE = "shared";
const RESOLVING = "resolving";
const NEEDS_GENERATOR = Symbol("needs the generator's build");
const LOADERS = { ".ts": "ts", ".mts": "ts", ".cts": "ts", ".js": "js", ".mjs": "js", ".cjs": "js", ".json": "json" };
const FALLBACK = Symbol("fallback");
/** REVIEW_CONTRACTS_LAUNCH_TRACE=1: one line on stderr saying which path ran and why (off: stderr is the CLI's alone). */
const trace = process.env.REVIEW_CONTRACTS_LAUNCH_TRACE === "1" ? (line) => process.stderr.write(`launch: ${line}\n`) : () => {};
/**
 * REVIEW_CONTRACTS_LAUNCH_PREPARE=1 with no arguments (the `prepare` script): fill the cache, run nothing (`launch`).
 * With arguments the command runs as asked: the variable left set in an environment must not turn `generate --check`
 * into a silent exit 0.
 */
const PREPARE = process.env.REVIEW_CONTRACTS_LAUNCH_PREPARE === "1" && process.argv.length <= 2;

const require = createRequire(import.meta.url);
const sha256 = (data) => createHash("sha256").update(data).digest("hex");
const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * One command the launcher runs.
 * @typedef {object} Command
 * @property {string} name - the cache folder's suffix and the trace's name of the command
 * @property {string} cli - the CLI module, relative to the repository root: it exports `main(argv, out, err, context)`
 * @property {string} entry - the launcher entry file of the command (part of the cache key)
 * @property {boolean} contracts - whether `main` loads contracts (`context.importContract`): they are bundled
 * @property {readonly string[]} external - packages loaded from node_modules at run time instead of being bundled
 */

/** The contract files `main` will load: the same options and rule as generators/cli.ts (sorted, not recursive). */
function contractFiles(argv) {
  let values = {};
  try {
    ({ values } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        check: { type: "boolean" },
        root: { type: "string" },
        contracts: { type: "string" },
        out: { type: "string" },
        quiet: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch {
    // A usage error: main reports it before loading any contract, so any build answers it.
  }
  const root = resolve(values.root ?? process.cwd());
  const dir = resolve(root, values.contracts ?? "contracts");
  try {
    return readdirSync(dir)
      .filter((name) => name.endsWith(CONTRACT_SUFFIX))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((name) => join(dir, name));
  } catch {
    return []; // no folder: main reports CLI.NO_CONTRACTS
  }
}

function esbuildVersion() {
  try {
    return JSON.parse(readFileSync(require.resolve("esbuild/package.json"), "utf8")).version;
  } catch {
    return undefined;
  }
}

/**
 * What a build is (`buildBundle`): `name` for the trace; `contracts`, the contract files its entry exports (none for
 * the generator alone); `generator`, for the contracts' build, the generator's bundle it shares modules with (its
 * `inputs` and the `shared` namespaces by path).
 * @typedef {{ name: string, contracts?: readonly string[], generator?: { inputs: readonly string[], shared: Map<string, object> } }} Kind
 */

/** Names the cache entry: what the build depends on besides the contents of its inputs (`parts`: the kind's own). */
function entryKey(command, parts) {
  const launcher = [readFileSync(SELF, "utf8"), readFileSync(command.entry, "utf8")];
  return sha256(JSON.stringify([esbuildVersion(), process.version, process.arch, launcher, ROOT, command.cli, parts])).slice(0, 32);
}

/** The bundle's name: the entry key and every input's path and content hash. */
function fingerprint(key, hashes) {
  return sha256(JSON.stringify([key, [...hashes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))])).slice(0, 32);
}

/** A folder's entry names (sorted), hashed: an input `dir/` of the cache stands for this. */
function listingHash(folder) {
  return sha256(readdirSync(folder).sort().join("\n"));
}

/** `a/b/c.ts` → `a/b`. */
function posixDirname(path) {
  return path.slice(0, path.lastIndexOf("/"));
}

/** Inputs read from disk as well as the sources: the project's settings (tsconfig.json shapes the TypeScript transform). */
const SETTINGS = ["package.json", "tsconfig.json"];

function readState(cache, key) {
  try {
    return JSON.parse(readFileSync(join(cache, `${key}.json`), "utf8"));
  } catch {
    return undefined;
  }
}

/** The bundle the cache holds for these exact inputs (its path and inputs), or undefined. */
function cachedBundle(cache, key) {
  const state = readState(cache, key);
  if (!state || !Array.isArray(state.inputs)) return undefined;
  const hashes = [];
  for (const input of state.inputs) {
    try {
      hashes.push([input, input.endsWith("/") ? listingHash(resolve(ROOT, input)) : sha256(readFileSync(resolve(ROOT, input)))]);
    } catch {
      return undefined; // an input is gone
    }
  }
  const path = join(cache, `${fingerprint(key, hashes)}.mjs`);
  try {
    if (statSync(path).size !== state.bytes) return undefined; // truncated
  } catch {
    return undefined;
  }
  return { path, inputs: state.inputs };
}

/**
 * Writes `path` whole under a temporary name, then renames it into place. The temporary is a new file under a name
 * nobody can predict (`<path>.<pid>-<16 random hex digits>.tmp`), created with O_CREAT|O_EXCL (`wx`): a file or link
 * planted under that name is never opened, followed or overwritten (EEXIST: another name is tried). As
 * `createTemporary` of generators/lib/safe-files.ts, which this plain JavaScript cannot import. `token` makes the
 * random part (a test passes its own to know the names).
 */
export function writeAtomically(path, contents, token = () => randomBytes(8).toString("hex")) {
  for (let attempt = 0; ; attempt++) {
    const temporary = `${path}.${process.pid}-${token()}.tmp`;
    try {
      writeFileSync(temporary, contents, { flag: "wx" });
    } catch (error) {
      if (error?.code === "EEXIST" && attempt < 100) continue; // not ours: left alone
      if (error?.code !== "EEXIST") rmSync(temporary, { force: true });
      throw error;
    }
    try {
      renameSync(temporary, path);
      return;
    } catch (error) {
      rmSync(temporary, { force: true });
      throw error;
    }
  }
}

/** Builds a bundle into the cache (`Kind`): its path and inputs, undefined when esbuild cannot (the fallback answers), or
 * NEEDS_GENERATOR when a contract imports a module of the generator's build other than the shared ones. */
async function buildBundle(command, cache, key, kind) {
  let esbuild;
  try {
    esbuild = await import(pathToFileURL(require.resolve("esbuild")).href);
  } catch (error) {
    trace(`esbuild is not available (${error.message})`);
    return undefined;
  }
  const hashes = new Map();
  const record = (path, contents) => hashes.set(relative(ROOT, path).split(sep).join("/"), sha256(contents));
  let needsGenerator;
  const plugin = {
    name: command.name,
    setup(build) {
      build.onResolve({ filter: new RegExp(`^${ENTRY}$`) }, () => ({ path: ENTRY, namespace: ENTRY }));
      // `./x.js` from a TypeScript module of the project when both x.ts and x.js exist: tsx (and TypeScript) take
      // x.ts, esbuild x.js. The answers must be tsx's, so the TypeScript file is resolved (through the other rules).
      build.onResolve({ filter: /^\.\.?\/.*\.js$/ }, async (args) => {
        if (!/\.[mc]?ts$/.test(args.importer) || args.importer.split(sep).includes("node_modules")) return undefined;
        const typescript = args.path.replace(/\.js$/, ".ts");
        if (!existsSync(join(args.resolveDir, typescript)) || !existsSync(join(args.resolveDir, args.path))) return undefined;
        const resolved = await build.resolve(typescript, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: args.pluginData });
        return resolved.errors.length ? { errors: resolved.errors } : { path: resolved.path, namespace: resolved.namespace, external: resolved.external, sideEffects: resolved.sideEffects };
      });
      build.onLoad({ filter: /.*/, namespace: ENTRY }, async () => ({ resolveDir: ROOT, loader: "js", contents: await entryContents(build, command, kind) }));
      if (kind.generator) {
        // The contracts' build: a module of the generator's build is either shared (read from the generator's bundle,
        // `SHARED_GLOBAL`) or not allowed (it would be a second instance of it: the combined build answers instead).
        const inputs = new Set(kind.generator.inputs);
        build.onResolve({ filter: /.*/ }, async (args) => {
          if (args.pluginData === RESOLVING || args.namespace === SHARED_NAMESPACE) return undefined;
          const resolved = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: RESOLVING });
          if (resolved.errors.length) return { errors: resolved.errors };
          if (resolved.external || resolved.namespace !== "file") return { path: resolved.path, namespace: resolved.namespace, external: resolved.external };
          const input = relative(ROOT, resolved.path).split(sep).join("/");
          if (kind.generator.shared.has(input)) return { path: input, namespace: SHARED_NAMESPACE };
          if (inputs.has(input)) {
            needsGenerator ??= `${relative(ROOT, args.importer).split(sep).join("/")} imports ${input}`;
            return { errors: [{ text: `${input} is a module of the generator's build` }] };
          }
          return { path: resolved.path, sideEffects: resolved.sideEffects };
        });
        build.onLoad({ filter: /.*/, namespace: SHARED_NAMESPACE }, (args) => {
          const shared = kind.generator.shared.get(args.path);
          const names = Object.keys(shared).filter((name) => name !== "default" && /^[A-Za-z_$][\w$]*$/.test(name));
          return {
            loader: "js",
            contents: [
              `const shared = globalThis[Symbol.for(${JSON.stringify(SHARED_GLOBAL.description)})].get(${JSON.stringify(args.path)});`,
              names.length ? `export const { ${names.join(", ")} } = shared;` : "",
              "default" in shared ? "export default shared.default;" : "",
            ].join("\n"),
          };
        });
      }
      // The external's own file, resolved from where it is imported, so the bundle's location does not matter.
      const external = new RegExp(`^(${command.external.map(escapeRegExp).join("|")})$`);
      build.onResolve({ filter: external }, async (args) => {
        if (args.pluginData === "external") return undefined;
        const resolved = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: "external" });
        if (resolved.errors.length) return { errors: resolved.errors };
        record(resolved.path, readFileSync(resolved.path));
        return { path: resolved.path, external: true };
      });
      build.onLoad({ filter: /.*/, namespace: "file" }, async (args) => {
        const contents = readFileSync(args.path);
        record(args.path, contents);
        const loader = LOADERS[extname(args.path)];
        if (!loader) return undefined;
        // A repository module gets its own import.meta.url (templates are read next to their module), replaced in
        // its syntax tree rather than its text; modules of packages keep the bundle's.
        const inPackage = args.path.split(sep).includes("node_modules");
        if (!inPackage && contents.includes("import.meta")) {
          const transformed = await esbuild.transform(contents, {
            loader,
            sourcefile: args.path,
            sourcemap: "inline",
            tsconfigRaw: readFileSync(join(ROOT, "tsconfig.json"), "utf8"),
            define: {
              "import.meta.url": JSON.stringify(pathToFileURL(args.path).href),
              "import.meta.filename": JSON.stringify(args.path),
              "import.meta.dirname": JSON.stringify(dirname(args.path)),
            },
          });
          return { contents: transformed.code, loader: "js" };
        }
        return { contents, loader };
      });
    },
  };

  for (const setting of SETTINGS) record(join(ROOT, setting), readFileSync(join(ROOT, setting)));
  const started = performance.now();
  let result;
  try {
    result = await esbuild.build({
      entryPoints: [ENTRY],
      absWorkingDir: ROOT,
      bundle: true,
      format: "esm",
      platform: "node",
      target: `node${process.versions.node}`,
      keepNames: true,
      sourcemap: "external",
      sourcesContent: false,
      outfile: join(cache, "bundle.mjs"),
      write: false,
      logLevel: "silent",
      // Bundled CommonJS modules call require() for Node's built-ins.
      banner: { js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);' },
      plugins: [plugin],
    });
  } catch (error) {
    if (needsGenerator) {
      trace(`the contracts need the generator's build (${needsGenerator})`);
      return NEEDS_GENERATOR;
    }
    const first = error?.errors?.[0];
    trace(`the build failed: ${first ? `${first.location?.file ?? ""}:${first.location?.line ?? ""}: ${first.text}` : String(error?.message ?? error)}`);
    return undefined;
  } finally {
    await esbuild.stop?.();
  }
  // The folders of the project's own inputs, by their listings: a file added beside an import can change what it
  // resolves to (`./lib` → `lib.ts` instead of `lib/index.ts`) without changing any input's contents.
  for (const input of [...hashes.keys()]) {
    // Not the repository's root: it holds no module, and run outputs come and go there.
    if (input.split("/").includes("node_modules") || !input.includes("/")) continue;
    const folder = `${posixDirname(input)}/`;
    if (!hashes.has(folder)) hashes.set(folder, listingHash(resolve(ROOT, folder)));
  }
  const code = result.outputFiles.find((file) => file.path.endsWith(".mjs"));
  const map = result.outputFiles.find((file) => file.path.endsWith(".map"));
  const name = fingerprint(key, hashes);
  const path = join(cache, `${name}.mjs`);
  const inputs = [...hashes.keys()].sort();
  try {
    mkdirSync(cache, { recursive: true });
    writeAtomically(`${path}.map`, map.text);
    writeAtomically(path, code.text.replace(/bundle\.mjs\.map\s*$/, `${name}.mjs.map\n`));
    writeAtomically(join(cache, `${key}.json`), `${JSON.stringify({ inputs, bundle: name, bytes: statSync(path).size })}\n`);
    prune(cache, key, name);
  } catch (error) {
    trace(`the cache cannot be written (${error.message})`);
    return undefined;
  }
  trace(`built ${name}.mjs (${kind.name}) in ${Math.round(performance.now() - started)} ms`);
  return { path, inputs };
}

/**
 * The entry module of a build: the generator's exports `main`, the shared modules by their paths (`SHARED`, relative
 * to the root; none when the command loads no contracts) and, combined, the contracts; the contracts' build exports
 * only the contracts. Each contract is a function importing it (a module evaluated when it is called).
 */
async function entryContents(build, command, kind) {
  const contracts = `export const contracts = new Map([${(kind.contracts ?? []).map((path) => `\n  [${JSON.stringify(path)}, () => import(${JSON.stringify(path)})]`).join(",")}\n]);`;
  if (kind.generator) return contracts;
  const shared = [];
  if (command.contracts) {
    for (const specifier of SHARED) {
      const resolved = await build.resolve(specifier, { kind: "import-statement", resolveDir: ROOT });
      if (resolved.errors.length) throw new Error(resolved.errors[0].text);
      shared.push(resolved.path);
    }
  }
  return [
    `export { main } from ${JSON.stringify(join(ROOT, command.cli))};`,
    ...shared.map((path, i) => `import * as shared${i} from ${JSON.stringify(path)};`),
    `export const shared = new Map([${shared.map((path, i) => `[${JSON.stringify(relative(ROOT, path).split(sep).join("/"))}, shared${i}]`).join(", ")}]);`,
    contracts,
  ].join("\n");
}

/**
 * Keeps the newest entries and their bundles. A file younger than a minute may belong to a build still writing its
 * entry; a bundle removed under a run that was about to load it is rebuilt by that run.
 */
function prune(cache, key, name) {
  const now = Date.now();
  const files = readdirSync(cache).map((file) => ({ file, mtimeMs: statSync(join(cache, file), { throwIfNoEntry: false })?.mtimeMs ?? now }));
  const entries = files.filter(({ file }) => file.endsWith(".json")).sort((a, b) => b.mtimeMs - a.mtimeMs);
  const kept = new Set([`${key}.json`, ...entries.slice(0, KEEP_ENTRIES).map(({ file }) => file)]);
  const bundles = new Set([name]);
  for (const { file } of entries) {
    if (kept.has(file)) bundles.add(readState(cache, file.slice(0, -".json".length))?.bundle);
    else rmSync(join(cache, file), { force: true });
  }
  for (const { file, mtimeMs } of files) {
    const bundle = /^([0-9a-f]{32})\.mjs(?:\.map)?$/.exec(file)?.[1];
    const stale = bundle ? !bundles.has(bundle) : file.endsWith(".tmp");
    if (stale && now - mtimeMs > 60_000) rmSync(join(cache, file), { force: true });
  }
}

/** A bundle's module, if it loads and exports what its kind must (a generator's `main` and `shared`, `contracts`). */
async function importBundle(path, attempt, kind) {
  try {
    const module = await import(`${pathToFileURL(path).href}${attempt ? `?attempt=${attempt}` : ""}`);
    const complete = module.contracts instanceof Map && (kind.generator || (typeof module.main === "function" && module.shared instanceof Map));
    if (complete) return module;
    trace(`${path} does not export what a ${kind.name} bundle does`);
  } catch (error) {
    trace(`${path} does not load (${String(error?.message ?? error).split("\n")[0]})`);
  }
  return undefined;
}

/** The bundle of `kind` from the cache, else built (then NEEDS_GENERATOR or undefined when it cannot be: `buildBundle`). */
async function cachedOrBuilt(command, cache, key, kind) {
  const cached = cachedBundle(cache, key);
  let module = cached && (await importBundle(cached.path, 0, kind));
  if (module) {
    trace(`cache hit ${basename(cached.path)} (${kind.name})`);
    return { ...cached, module };
  }
  const built = await buildBundle(command, cache, key, kind);
  if (!built || built === NEEDS_GENERATOR) return built;
  module = await importBundle(built.path, 1, kind);
  return module && { ...built, module };
}

/**
 * Runs `main` (of a generator's bundle) as cli.ts's own entry does, with the contracts of `contracts` (the same bundle
 * or the contracts' own). FALLBACK when a contract could not be evaluated in the bundle: main's output is held back
 * from that moment (nothing was printed before: main loads the contracts before it prints or writes anything).
 * `bundlePaths`: the bundles' files, whose positions a crash's stack is mapped from.
 */
async function runBundle(command, { main }, contracts, bundlePaths, argv) {
  let fallingBack = false;
  let printed = false;
  const stream = (target) => ({
    write(...args) {
      if (fallingBack) return true;
      printed = true;
      return target.write(...args);
    },
  });
  const importContract = async (absolute) => {
    try {
      const load = contracts.get(absolute);
      if (!load) throw new Error(`${absolute} was not a contract when the generator was built`);
      return await load();
    } catch (error) {
      if (!printed) fallingBack = true;
      trace(`evaluating ${absolute} in the bundle failed (${String(error?.message ?? error)})`);
      throw error;
    }
  };
  try {
    // Called as a function, so a crash's frame reads "main", as under tsx.
    const code = await main(argv, stream(process.stdout), stream(process.stderr), { importContract });
    return fallingBack ? FALLBACK : code;
  } catch (error) {
    if (fallingBack) return FALLBACK;
    process.stderr.write(`${sourceStack(command, error, bundlePaths)}\n`);
    return 2;
  }
}

/**
 * A crash's stack as tsx prints it: the bundles' positions mapped back to the source files (paths, not URLs), and
 * without this launcher's own frames.
 */
function sourceStack(command, error, bundlePaths) {
  const stack = error?.stack ?? String(error);
  const frames = [SELF, command.entry].map((file) => escapeRegExp(pathToFileURL(file).href)).join("|");
  let mapped = stack.replace(new RegExp(`\\n\\s+at [^\\n]*(?:${frames}):\\d+:\\d+\\)?`, "g"), "");
  for (const bundlePath of bundlePaths) {
    try {
      const map = new SourceMap(JSON.parse(readFileSync(`${bundlePath}.map`, "utf8")));
      mapped = mapped.replace(new RegExp(`${escapeRegExp(pathToFileURL(bundlePath).href)}(?:\\?[^:)]*)?:(\\d+):(\\d+)`, "g"), (whole, line, column) => {
        const entry = map.findEntry(Number(line) - 1, Number(column) - 1);
        if (!entry?.originalSource) return whole;
        const source = entry.originalSource.startsWith("file:") ? fileURLToPath(entry.originalSource) : resolve(dirname(bundlePath), entry.originalSource);
        return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
      });
    } catch {
      // Left as the bundle's positions.
    }
  }
  return mapped;
}

/** Today's path: the CLI under tsx's loader, same arguments, same standard streams, its exit code. */
async function viaTsx(command, argv) {
  trace(`running ${command.cli} under tsx`);
  const { spawnSync } = await import("node:child_process");
  const tsx = import.meta.resolve("tsx");
  const child = spawnSync(process.execPath, [...process.execArgv, "--import", tsx, join(ROOT, command.cli), ...argv], { stdio: "inherit" });
  if (child.error) throw child.error;
  if (child.signal) process.kill(process.pid, child.signal);
  return child.status ?? 2;
}

/**
 * Runs `command` with `argv` and exits with its code: from the cached build, else from a new build, else under tsx.
 * @param {Command} command
 * @param {readonly string[]} argv
 */
export function launchCommand(command, argv) {
  launch(command, argv).then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`${error?.stack ?? String(error)}\n`);
      // Preparing, a failure costs only the speed of the first run (which builds or falls back then).
      process.exit(PREPARE ? 0 : 2);
    },
  );
}

async function launch(command, argv) {
  const cache = process.env.REVIEW_CONTRACTS_CACHE_DIR ? resolve(process.env.REVIEW_CONTRACTS_CACHE_DIR) : join(ROOT, "node_modules", ".cache", `review-contracts-${command.name}`);
  const fallback = () => (PREPARE ? 0 : viaTsx(command, argv));
  const run = async (generator, contracts) => {
    if (PREPARE) return 0;
    const code = await runBundle(command, generator.module, contracts.module.contracts, [...new Set([generator.path, contracts.path])], argv);
    return code === FALLBACK ? viaTsx(command, argv) : code;
  };
  const generatorKind = { name: "generator" };
  const generator = await cachedOrBuilt(command, cache, entryKey(command, [generatorKind.name]), generatorKind);
  if (!generator) return fallback();
  if (!command.contracts) return run(generator, generator);
  // The contracts' own build, sharing the generator's modules, or (when a contract imports others of them) one build
  // of both, found in the cache before trying the contracts' own.
  const contracts = contractFiles(argv);
  const combinedKind = { name: "generator and contracts", contracts };
  const combinedKey = entryKey(command, [combinedKind.name, contracts]);
  const contractsKind = { name: "contracts", contracts, generator: { inputs: generator.inputs, shared: generator.module.shared } };
  const contractsKey = entryKey(command, [contractsKind.name, contracts, basename(generator.path)]);
  globalThis[SHARED_GLOBAL] = generator.module.shared;
  const combinedCached = cachedBundle(cache, combinedKey);
  const own = combinedCached && !cachedBundle(cache, contractsKey) ? NEEDS_GENERATOR : await cachedOrBuilt(command, cache, contractsKey, contractsKind);
  if (own !== NEEDS_GENERATOR) return own ? run(generator, own) : fallback();
  const combined = await cachedOrBuilt(command, cache, combinedKey, combinedKind);
  return combined ? run(combined, combined) : fallback();
}
