/**
 * `--serve`'s server on its real socket: only the site's own files, no symlink out of the folder, no traversal,
 * and only requests addressed to the loopback names (DNS rebinding).
 */
import { request } from "node:http";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveSite, type Served } from "./serve.js";
import { writeSite } from "./write.js";

let temp: string;
let site: Served;

function get(path: string, host?: string): Promise<{ status: number; body: string }> {
  const url = new URL(site.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: url.port, path, method: "GET", headers: { host: host ?? url.host } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end();
  });
}

beforeAll(async () => {
  temp = mkdtempSync(join(tmpdir(), "catalog-serve-"));
  const out = join(temp, "site");
  mkdirSync(out);
  writeFileSync(join(temp, "secret.txt"), "outside secret\n");
  // Files the catalog did not write, in the folder the user chose.
  mkdirSync(join(out, ".ssh"));
  writeFileSync(join(out, ".ssh", "id_rsa"), "private key\n");
  symlinkSync(join(temp, "secret.txt"), join(out, "link.txt"));
  writeSite(out, [
    { path: "index.html", contents: "<p>home</p>" },
    { path: "datasets/review.html", contents: "<p>review</p>" },
  ]);
  site = await serveSite(out, 0);
});

afterAll(async () => {
  await site?.close();
  rmSync(temp, { recursive: true, force: true });
});

describe("catalog --serve", () => {
  it("serves the site's own files, by path and by folder", async () => {
    expect(await get("/")).toMatchObject({ status: 200, body: "<p>home</p>" });
    expect(await get("/datasets/review.html")).toMatchObject({ status: 200, body: "<p>review</p>" });
    const localhost = new URL(site.url).port;
    expect(await get("/", `localhost:${localhost}`)).toMatchObject({ status: 200 });
  });

  it("does not serve files of the folder the catalog did not write, nor follow a symlink out of it", async () => {
    expect((await get("/.ssh/id_rsa")).status).toBe(404);
    const link = await get("/link.txt");
    expect(link.status).toBe(404);
    expect(link.body).not.toContain("outside secret");
    expect((await get("/.catalog-site.json")).status).toBe(404);
  });

  it("refuses traversal, encoded or not", async () => {
    for (const path of ["/../secret.txt", "/%2e%2e/secret.txt", "/datasets/..%2f..%2fsecret.txt", "/%00", "/%"]) {
      const response = await get(path);
      expect(response.status, path).toBeGreaterThanOrEqual(400);
      expect(response.body, path).not.toContain("outside secret");
    }
  });

  it("answers 421 to a request addressed to another host name (DNS rebinding)", async () => {
    const port = new URL(site.url).port;
    for (const host of [`rebind.attacker.example:${port}`, "127.0.0.1", `127.0.0.1:${Number(port) + 1}`]) {
      const response = await get("/", host);
      expect(response.status, host).toBe(421);
      expect(response.body).not.toContain("home");
    }
  });
});
