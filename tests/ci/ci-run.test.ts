/**
 * `.ci/run` on a machine where a Debian package of .ci/apt-packages.txt is missing and the user is not root: it must
 * name the missing packages and the command that installs them, not stop at apt-get's lock file error.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const ABSENT = "review-contracts-absent-package";

describe(".ci/run", () => {
  it("as a non-root user with a package missing: names it, says it needs root and gives the sudo command, installs nothing", () => {
    const work = mkdtempSync(join(tmpdir(), "ci-run-"));
    try {
      chmodSync(work, 0o755);
      mkdirSync(join(work, ".ci"), { mode: 0o755 });
      copyFileSync(join(root, ".ci/run"), join(work, ".ci/run"));
      chmodSync(join(work, ".ci/run"), 0o755);
      // One package every Debian machine has (bash, so it is not reported), one that no machine has.
      writeFileSync(join(work, ".ci/apt-packages.txt"), `bash\n${ABSENT}\n`, { mode: 0o644 });
      const script = join(work, ".ci/run");
      // Run by the real dpkg and id: as root, the script runs as the user "nobody".
      const [command, args] = process.getuid?.() === 0 ? ["setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "bash", script]] : ["bash", [script]];
      const result = spawnSync(command, args as string[], { cwd: work, encoding: "utf8", env: { PATH: process.env.PATH, HOME: work } });
      expect(result.status, result.stderr).toBe(2);
      expect(result.stderr).toContain(`not installed: ${ABSENT}`);
      expect(result.stderr).toContain(`sudo apt-get install -y ${ABSENT}`);
      expect(result.stderr).toMatch(/needs root/);
      expect(result.stderr).not.toMatch(/bash/);
      expect(result.stderr + result.stdout).not.toMatch(/lock|Permission denied/);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
