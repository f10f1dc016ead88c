// Ferrite's service worker: the IDE keeps working offline once it has been loaded.
//
// - install: precache the entry files ("./" = index.html, the manifest, the icons) and every file
//   of the build listed in precache.js (written by `scripts/ide.sh build`: trunk's hashed
//   js/wasm/css, the simulator worker's loader, glue and wasm, Monaco's /vs files). Without
//   precache.js (a dev server) only the entry files are precached.
// - fetch: every same-origin GET is answered stale-while-revalidate: from the cache at once when
//   present, refreshed from the network in the background (and cached on first fetch).
// - activate: caches of other builds are deleted; skipWaiting + clients.claim, so the page that
//   registered the worker is controlled without a reload.
//
// It never caches a non-GET request, a cross-origin request, a range request or an error
// response, and never answers for sw.js/precache.js (the browser fetches those itself).
"use strict";

/// The build's file list and id: `self.FERRITE_BUILD = { version, files }`.
try {
  importScripts("precache.js");
} catch (_) {
  // No precache.js (trunk serve, or an older build): entry files only.
}

const BUILD = self.FERRITE_BUILD || { version: "dev", files: [] };
const CACHE_PREFIX = "ferrite-";
const CACHE = CACHE_PREFIX + BUILD.version;
const ENTRY_FILES = ["./", "manifest.webmanifest", "icons/icon.svg", "icons/icon-192.png", "icons/icon-512.png"];
const NEVER_CACHED = new Set(["sw.js", "precache.js"]);

function scopeUrl(path) {
  return new URL(path, self.registration.scope).href;
}

/// Revalidate against the HTTP cache (a 304 is cheap) instead of reusing a possibly stale copy.
async function precache(cache, path) {
  const url = scopeUrl(path);
  const response = await fetch(new Request(url, { cache: "no-cache", credentials: "same-origin" }));
  if (!response.ok) throw new Error(`precache ${url}: HTTP ${response.status}`);
  await cache.put(url, response);
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      const files = ENTRY_FILES.concat(BUILD.files.filter((f) => !ENTRY_FILES.includes(f)));
      // The entry files must all be there; a missing optional build file must not block offline
      // use of the rest.
      await Promise.all(ENTRY_FILES.map((f) => precache(cache, f)));
      const rest = await Promise.allSettled(files.slice(ENTRY_FILES.length).map((f) => precache(cache, f)));
      for (const r of rest) if (r.status === "rejected") console.warn("Ferrite service worker:", r.reason);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith(CACHE_PREFIX) && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

function cacheable(request) {
  if (request.method !== "GET" || request.headers.has("range")) return false;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return false;
  const scope = new URL(self.registration.scope);
  if (!url.pathname.startsWith(scope.pathname)) return false;
  return !NEVER_CACHED.has(url.pathname.slice(scope.pathname.length));
}

/// The cache key: navigations are the app shell ("./"); the fragment never reaches us and a
/// query string does not change the static files.
function cacheKey(request) {
  if (request.mode === "navigate") return scopeUrl("./");
  const url = new URL(request.url);
  url.search = "";
  return url.href;
}

async function staleWhileRevalidate(event) {
  const request = event.request;
  const key = cacheKey(request);
  const cache = await caches.open(CACHE);
  const cached = await cache.match(key, { ignoreVary: true });
  const refresh = fetch(request.mode === "navigate" ? key : request)
    .then(async (response) => {
      if (response.ok && response.type === "basic") await cache.put(key, response.clone());
      return response;
    });
  if (cached) {
    // Keep the worker alive until the cache is refreshed; offline, the refresh just fails.
    event.waitUntil(refresh.catch(() => undefined));
    return cached;
  }
  return refresh;
}

self.addEventListener("fetch", (event) => {
  if (!cacheable(event.request)) return;
  event.respondWith(staleWhileRevalidate(event));
});
