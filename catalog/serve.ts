/**
 * `--serve`: the built site over HTTP on 127.0.0.1 only. GET and HEAD of files inside the site folder; no
 * directory listing, nothing outside the folder, the pages' Content-Security-Policy also sent as a header.
 */
import { createServer, type Server } from "node:http";
import { existsSync, readFileSync, statSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import { isInside } from "../runners/local-pipeline/safe-paths.js";
import { CONTENT_SECURITY_POLICY } from "./pages/layout.js";

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

export function serveSite(dir: string, port: number): Promise<Served> {
  const root = resolve(dir);
  const server = createServer((request, response) => {
    const headers = { "X-Content-Type-Options": "nosniff", "Content-Security-Policy": CONTENT_SECURITY_POLICY, "Cache-Control": "no-cache" };
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
    if (pathname.includes("\0") || !isInside(root, file) || !existsSync(file) || !statSync(file).isFile()) {
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
