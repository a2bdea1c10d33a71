/** Writing into an output folder: no symbolic link between the output root and a path written or removed. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { linkedFolder } from "./safe-files.js";

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
