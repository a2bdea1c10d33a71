/**
 * Writing into an output folder: no symbolic link between the output root and a path written or removed; temporaries
 * under new, unpredictable names that never follow a link planted under their name.
 */
import { execFileSync } from "node:child_process";
import { closeSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createTemporary, linkedFolder, writeFileAtomically } from "./safe-files.js";

const work = mkdtempSync(join(tmpdir(), "safe-files-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("linkedFolder", () => {
  it("names the link between the root and the path nearest the root; the root itself and the path itself may be links", () => {
    const elsewhere = join(work, "elsewhere");
    mkdirSync(join(elsewhere, "deeper"), { recursive: true });
    symlinkSync(elsewhere, join(elsewhere, "loop"));
    const out = join(work, "out");
    mkdirSync(join(out, "plain", "sub"), { recursive: true });
    symlinkSync(elsewhere, join(out, "linked"));
    symlinkSync(elsewhere, join(out, "plain", "linked-file"));
    const alias = join(work, "alias");
    symlinkSync(out, alias);

    expect(linkedFolder(out, join(out, "plain", "sub", "page.html"))).toBeUndefined();
    expect(linkedFolder(out, join(out, "plain", "not-yet", "page.html"))).toBeUndefined();
    expect(linkedFolder(out, join(out, "plain", "linked-file"))).toBeUndefined();
    expect(linkedFolder(alias, join(alias, "plain", "page.html"))).toBeUndefined();
    expect(linkedFolder(out, join(out, "linked", "page.html"))).toBe(join(out, "linked"));
    expect(linkedFolder(out, join(out, "linked", "loop", "deeper", "page.html"))).toBe(join(out, "linked"));
    expect(linkedFolder(alias, join(alias, "linked", "page.html"))).toBe(join(alias, "linked"));
    expect(linkedFolder(out, join(work, "elsewhere", "page.html"))).toBeUndefined();
  });
});

describe("createTemporary and writeFileAtomically", () => {
  it("never opens an existing file or link under a temporary's name (O_EXCL): another name is tried", () => {
    const folder = join(work, "planted");
    mkdirSync(folder);
    const victim = join(work, "victim.txt");
    writeFileSync(victim, "not ours\n");
    const target = join(folder, "index.html");
    const tokens = ["0000000000000000", "1111111111111111", "2222222222222222"];
    symlinkSync(victim, `${target}.tmp-${process.pid}-${tokens[0]}`);
    writeFileSync(`${target}.tmp-${process.pid}-${tokens[1]}`, "someone else's\n");
    const made = createTemporary(target, 0o666, () => tokens.shift()!);
    closeSync(made.fd);
    expect(made.path).toBe(`${target}.tmp-${process.pid}-2222222222222222`);
    expect(lstatSync(made.path).isFile()).toBe(true);
    expect(readFileSync(made.path, "utf8")).toBe("");
    expect(readFileSync(victim, "utf8")).toBe("not ours\n");
    expect(readFileSync(`${target}.tmp-${process.pid}-1111111111111111`, "utf8")).toBe("someone else's\n");
  });

  it("names each temporary anew (pid and 16 random hex digits)", () => {
    const target = join(work, "names.txt");
    const made = [createTemporary(target), createTemporary(target)];
    for (const { fd } of made) closeSync(fd);
    for (const { path } of made) expect(path).toMatch(new RegExp(`^${target.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.tmp-${process.pid}-[0-9a-f]{16}$`));
    expect(made[0]!.path).not.toBe(made[1]!.path);
  });

  it("replaces the target whole, a link at the target replaced and not followed, and leaves no temporary", () => {
    const folder = join(work, "atomic");
    mkdirSync(folder);
    const victim = join(work, "atomic-victim.txt");
    writeFileSync(victim, "not ours\n");
    const target = join(folder, "page.html");
    writeFileAtomically(target, "first\n");
    expect(readFileSync(target, "utf8")).toBe("first\n");
    writeFileAtomically(target, Buffer.from("second\n"));
    expect(readFileSync(target, "utf8")).toBe("second\n");
    rmSync(target);
    symlinkSync(victim, target);
    writeFileAtomically(target, "third\n");
    expect(lstatSync(target).isFile()).toBe(true);
    expect(readFileSync(target, "utf8")).toBe("third\n");
    expect(readFileSync(victim, "utf8")).toBe("not ours\n");
    expect(readdirSync(folder)).toEqual(["page.html"]);
    // A target that is not a regular file (a folder, a pipe; /dev/null) is refused, not replaced, and nothing is left.
    mkdirSync(join(folder, "taken"));
    expect(() => writeFileAtomically(join(folder, "taken"), "x")).toThrow(/taken is a folder, not a file/);
    const pipe = join(folder, "pipe");
    execFileSync("mkfifo", [pipe]);
    expect(() => writeFileAtomically(pipe, "x")).toThrow(/pipe is a FIFO \(named pipe\), not a file/);
    expect(lstatSync(pipe).isFIFO()).toBe(true);
    expect(readdirSync(folder).sort()).toEqual(["page.html", "pipe", "taken"]);
  });
});
