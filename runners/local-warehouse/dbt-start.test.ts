/**
 * dbt that cannot start: its script's first line names a python that is gone (the dbt env was moved or copied after it
 * was built). spawn then fails with a bare ENOENT although the file is there; the error says why, with the fix.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDbt, WarehouseError } from "./warehouse.js";

describe("runDbt when dbt cannot start", () => {
  let bin: string;
  beforeAll(() => {
    bin = mkdtempSync(join(tmpdir(), "dbt-start-"));
  });
  afterAll(() => rmSync(bin, { recursive: true, force: true }));

  it("names the script and its missing interpreter, with the fix (npm run python:setup)", async () => {
    const dbt = join(bin, "dbt");
    writeFileSync(dbt, "#!/no/such/venv/bin/python\nprint('dbt')\n");
    chmodSync(dbt, 0o755);
    const error = await runDbt(bin, ["--version"], process.env, () => {}).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(WarehouseError);
    expect((error as WarehouseError).message).toBe(
      `${dbt} cannot start: the interpreter its first line names, /no/such/venv/bin/python, does not exist (its environment was moved or copied after it was built)`,
    );
    expect((error as WarehouseError).fix).toBe('run npm run python:setup -- dbt, which rebuilds the "dbt" Python environment where it is, then run the command again.');
  });

  it("says so when dbt is not there at all", async () => {
    const empty = mkdtempSync(join(bin, "empty-"));
    const error = await runDbt(empty, ["--version"], process.env, () => {}).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect((error as WarehouseError).message).toBe(`${join(empty, "dbt")} does not exist`);
    expect((error as WarehouseError).fix).toContain("npm run python:setup -- dbt");
  });
});
