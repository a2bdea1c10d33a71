/**
 * The folder a command was typed in: npm runs scripts in the package's folder and names the person's in INIT_CWD;
 * a process that is not that script (started elsewhere, the variables inherited) keeps its own folder.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { closestName, invocationDirOf, parseArgsFix, versionLine } from "./cli-args.js";

const pkg = mkdtempSync(join(tmpdir(), "cli-args-"));
const sub = join(pkg, "samples");
mkdirSync(sub);
writeFileSync(join(pkg, "package.json"), "{}");
writeFileSync(join(pkg, "a-file"), "");
afterAll(() => rmSync(pkg, { recursive: true, force: true }));

describe("invocationDirOf", () => {
  const npm = (typedIn: string | undefined) => ({ INIT_CWD: typedIn, npm_package_json: join(pkg, "package.json") });

  it("is npm's INIT_CWD for the script npm started in the package's folder", () => {
    expect(invocationDirOf(npm(sub), pkg)).toBe(sub);
    expect(invocationDirOf(npm(`${sub}/`), pkg)).toBe(sub);
  });

  it("is the process's own folder without npm, or when it is not the script npm started (another folder, variables inherited)", () => {
    expect(invocationDirOf({}, pkg)).toBe(pkg);
    expect(invocationDirOf({ INIT_CWD: sub }, pkg)).toBe(pkg);
    expect(invocationDirOf(npm(sub), tmpdir())).toBe(tmpdir());
    expect(invocationDirOf({ INIT_CWD: sub, npm_package_json: join(tmpdir(), "package.json") }, pkg)).toBe(pkg);
  });

  it("is the process's own folder when INIT_CWD is empty, relative, gone or not a folder", () => {
    for (const bad of ["", "samples", join(pkg, "gone"), join(pkg, "a-file")]) expect(invocationDirOf(npm(bad), pkg)).toBe(pkg);
  });
});

describe("closestName", () => {
  it("is the known name nearest to a mistyped one, letter case aside; the first on a tie; none without names", () => {
    const known = ["product", "review"];
    expect(closestName("reviews", known)).toBe("review");
    expect(closestName("Review", known)).toBe("review");
    expect(closestName("prodcut", known)).toBe("product");
    expect(closestName("reviw", known)).toBe("review");
    expect(closestName("zzzzzz", ["ab", "cd"])).toBe("ab");
    expect(closestName("x", [])).toBeUndefined();
  });
});

describe("versionLine", () => {
  it("is npm's package name and version when npm runs the command, else the package.json above the module's", () => {
    expect(versionLine({ npm_package_name: "review-contracts", npm_package_version: "9.8.7" })).toBe("review-contracts 9.8.7");
    const own = JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "package.json"), "utf8")) as { name: string; version: string };
    expect(versionLine({})).toBe(`${own.name} ${own.version}`);
  });
});

describe("parseArgsFix", () => {
  const help = "Options:\n  --check   Compare.\n  --out <dir>  Output.\n  --no-warehouse  Skip.\n  -h, --help  Help.";
  const unknown = (option: string) => Object.assign(new TypeError(`Unknown option '${option}'`), { code: "ERR_PARSE_ARGS_UNKNOWN_OPTION" });
  it("names the option --help lists within two typos of an unknown one; otherwise points at --help", () => {
    expect(parseArgsFix(unknown("--chek"), help)).toBe("did you mean --check? Run with --help for the options.");
    expect(parseArgsFix(unknown("--no-warehous"), help)).toBe("did you mean --no-warehouse? Run with --help for the options.");
    expect(parseArgsFix(unknown("--colour"), help)).toBe("run with --help for the options.");
    expect(parseArgsFix(unknown("--ot"), help)).toBe("did you mean --out? Run with --help for the options.");
    // Two typos in a short name is no longer a typo of it.
    expect(parseArgsFix(unknown("--xyz"), help)).toBe("run with --help for the options.");
    expect(parseArgsFix(new TypeError("Option '--out <value>' argument missing"), help)).toBe("run with --help for the options.");
  });
});
