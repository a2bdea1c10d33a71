/**
 * `--serve`: the built site over HTTP on 127.0.0.1 only. GET and HEAD of the files the catalog wrote (listed in
 * `.catalog-site.json`), regular files only (a symlink is not followed), and only for a request addressed to
 * 127.0.0.1 or localhost on the served port (a page of another site that rebinds its DNS name to 127.0.0.1 gets
 * 421). No directory listing, nothing else of the folder; the pages' Content-Security-Policy also sent as a header.
 */
import { createServer, type Server } from "node:http";
import { existsSync, lstatSync, readFileSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import { isInside } from "../runners/local-pipeline/safe-paths.js";
import { CONTENT_SECURITY_POLICY } from "./pages/layout.js";
import { OWNED_LIST } from "./write.js";

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

export interface Served {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/** The site's own files, as the last build listed them (read on every request: a rebuild may change them). */
function siteFiles(root: string): ReadonlySet<string> {
  try {
    const listed = (JSON.parse(readFileSync(join(root, OWNED_LIST), "utf8")) as { files?: unknown }).files;
    return new Set(Array.isArray(listed) ? listed.filter((f): f is string => typeof f === "string") : []);
  } catch {
    return new Set();
  }
}

export function serveSite(dir: string, port: number): Promise<Served> {
  const root = resolve(dir);
  let hosts: ReadonlySet<string> = new Set();
  const server = createServer((request, response) => {
    const headers = { "X-Content-Type-Options": "nosniff", "Content-Security-Policy": CONTENT_SECURITY_POLICY, "Cache-Control": "no-cache" };
    if (!hosts.has((request.headers.host ?? "").toLowerCase())) {
      response.writeHead(421, { ...headers, "Content-Type": "text/plain; charset=utf-8" }).end("Misdirected request: open the site at 127.0.0.1 or localhost.\n");
      return;
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { ...headers, Allow: "GET, HEAD" }).end();
      return;
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(request.url ?? "/", "http://127.0.0.1").pathname);
    } catch {
      response.writeHead(400, headers).end();
      return;
    }
    if (pathname.endsWith("/")) pathname += "index.html";
    const file = join(root, pathname);
    const sitePath = pathname.replace(/^\/+/, "");
    if (
      pathname.includes("\0") ||
      !isInside(root, file) ||
      !siteFiles(root).has(sitePath) ||
      !existsSync(file) ||
      // lstat: a symlink, even one the folder's owner made, is not followed out of the folder.
      !lstatSync(file).isFile()
    ) {
      response.writeHead(404, { ...headers, "Content-Type": "text/plain; charset=utf-8" }).end("Not found\n");
      return;
    }
    const body = readFileSync(file);
    response.writeHead(200, { ...headers, "Content-Type": TYPES[extname(file)] ?? "application/octet-stream", "Content-Length": body.length });
    response.end(request.method === "HEAD" ? undefined : body);
  });
  return new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      const actual = typeof address === "object" && address ? address.port : port;
      hosts = new Set([`127.0.0.1:${actual}`, `localhost:${actual}`]);
      resolvePromise({
        url: `http://127.0.0.1:${actual}/`,
        server,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
