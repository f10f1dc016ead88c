// Serves the built IDE (dist/) on loopback, as a production static server would: correct MIME
// types (application/wasm), gzip for clients that accept it (compressed once, kept in memory),
// validators (ETag, 304 Not Modified), long immutable caching only for trunk's content-hashed
// files and revalidation (no-cache) for everything with a stable name (index.html, sw.js,
// precache.js, the worker loader and its wasm, Monaco's /vs files), so a rebuild is never hidden
// behind a stale HTTP cache.
//
//   node tools/serve-ide.mjs DIR [HOST:PORT]
//
// It serves files under DIR only (never outside it) and only GET/HEAD; it is a test and preview
// server, not a hardened production one.
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { basename, extname, join, normalize, resolve, sep } from "node:path";
import { gzipSync } from "node:zlib";

const root = resolve(process.argv[2] || "dist");
const [host, port] = (process.argv[3] || "127.0.0.1:8000").split(":");

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".webmanifest": "application/manifest+json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ttf": "font/ttf",
  ".txt": "text/plain; charset=utf-8",
};
const COMPRESSIBLE = new Set([".html", ".js", ".mjs", ".css", ".wasm", ".json", ".webmanifest", ".svg", ".ttf", ".txt"]);
/// trunk's file hash: `name-<16 hex>.ext` or `name-<16 hex>_bg.wasm`.
const HASHED = /-[0-9a-f]{16}(_bg)?\.[a-z]+$/;
const gzipCache = new Map();

async function file(path) {
  let decoded;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return null;
  }
  const full = normalize(join(root, decoded));
  if (full !== root && !full.startsWith(root + sep)) return null;
  try {
    const s = await stat(full);
    if (s.isDirectory()) return file(join(path, "index.html"));
    return { full, mtime: s.mtimeMs, size: s.size };
  } catch {
    return null;
  }
}

const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url, "http://localhost");
    let path = url.pathname;
    if (path === "/") path = "/index.html";
    const found = await file(path);
    if (!found || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(found ? 405 : 404, { "content-type": "text/plain" });
      res.end(found ? "method not allowed\n" : "not found\n");
      return;
    }
    const ext = extname(found.full);
    const gzip = COMPRESSIBLE.has(ext) && /\bgzip\b/.test(req.headers["accept-encoding"] || "");
    const etag = `"${Math.round(found.mtime).toString(36)}-${found.size.toString(36)}${gzip ? "-gz" : ""}"`;
    const headers = {
      "content-type": TYPES[ext] || "application/octet-stream",
      "cache-control": HASHED.test(basename(found.full)) ? "public, max-age=31536000, immutable" : "no-cache",
      etag,
    };
    if (COMPRESSIBLE.has(ext)) headers["vary"] = "accept-encoding";
    if (req.headers["if-none-match"] === etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    let body = await readFile(found.full);
    if (gzip) {
      const key = found.full + ":" + found.mtime;
      let gz = gzipCache.get(key);
      if (!gz) {
        gz = gzipSync(body, { level: 9 });
        gzipCache.set(key, gz);
      }
      body = gz;
      headers["content-encoding"] = "gzip";
    }
    headers["content-length"] = body.length;
    res.writeHead(200, headers);
    res.end(req.method === "HEAD" ? undefined : body);
  } catch (e) {
    res.writeHead(500, { "content-type": "text/plain" });
    res.end(String(e) + "\n");
  }
});

server.on("error", (e) => {
  console.error(`serve-ide: ${e.message}`);
  process.exit(1);
});
// Port 0 picks a free port; the line below says which.
server.listen(Number(port), host, () => {
  console.log(`Ferrite IDE: http://${host}:${server.address().port}/ (serving ${root})`);
});
