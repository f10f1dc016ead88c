// Ferrite's service worker: the IDE keeps working offline once it has been loaded, and an open
// tab never mixes two builds.
//
// - install: precache, into this build's own cache ("ferrite-<build id>"), the entry files
//   ("./" = index.html, the manifest, the icons) and every file of the build listed in
//   precache.js (written by `scripts/ide.sh build`: trunk's hashed js/wasm/css, the simulator
//   worker's loader, glue and wasm, Monaco's /vs files). Without precache.js (a dev server) only
//   the entry files are precached. It does not take over by itself: a new build waits until the
//   page asks for it (the page shows "Update available — Reload", see ide/index.html).
// - fetch: navigations are network-first (the cached index.html offline), but a network index of
//   another build is not used while this build controls the page — its files would come from
//   this build's cache — the cached one is served instead, and the page offers the update. Every
//   other file is cache-first from this build's cache (hashed names and /vs/ never change within
//   a build), fetched and cached on a miss.
// - message "skipWaiting": the page's Reload button activates the waiting build.
// - activate: caches of other builds are deleted; clients.claim, so the first visit's page is
//   controlled without a reload.
//
// It never caches a non-GET request, a cross-origin request, a range request or an error
// response, never answers for sw.js/precache.js (the browser fetches those itself), and never
// puts a file of another build into this build's cache.
"use strict";

/// The build's file list and id: `self.FERRITE_BUILD = { version, files }`.
try {
  importScripts("precache.js");
} catch (_) {
  // No precache.js (trunk serve, or an older build): entry files only.
}

const BUILD = self.FERRITE_BUILD || { version: "dev", files: [] };
const BUILD_FILES = new Set(BUILD.files);
const CACHE_PREFIX = "ferrite-";
const CACHE = CACHE_PREFIX + BUILD.version;
const ENTRY_FILES = ["./", "manifest.webmanifest", "icons/icon.svg", "icons/icon-192.png", "icons/icon-512.png"];
const NEVER_CACHED = new Set(["sw.js", "precache.js"]);
/// trunk's content hash in a file name: `name-<16 hex>.ext` or `name-<16 hex>_bg.wasm`.
const HASHED_REF = /[A-Za-z0-9_./-]+-[0-9a-f]{16}(?:_bg)?\.[a-z]+/g;

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
    })(),
  );
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "skipWaiting") self.skipWaiting();
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

/// The cache key of a file: a query string does not change the static files.
function cacheKey(request) {
  const url = new URL(request.url);
  url.search = "";
  return url.href;
}

/// Is `html` the index.html of this build? Every hashed file it references is one of ours (a
/// dev build without a file list accepts any).
function indexOfThisBuild(html) {
  if (BUILD_FILES.size === 0) return true;
  const refs = html.match(HASHED_REF) || [];
  // References are relative ("./x", trunk's public_url "./") or absolute from the root ("/x").
  return refs.length > 0 && refs.every((r) => BUILD_FILES.has(r.replace(/^(?:\.?\/)+/, "")));
}

/// Network-first for the app shell; this build's cached copy when offline or when the network
/// already serves another build (the page then shows "Update available").
async function navigate(event) {
  const key = scopeUrl("./");
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(new Request(key, { cache: "no-cache", credentials: "same-origin" }));
    if (!response.ok || response.type !== "basic") throw new Error(`HTTP ${response.status}`);
    const html = await response.clone().text();
    if (indexOfThisBuild(html)) {
      event.waitUntil(cache.put(key, response.clone()));
      return response;
    }
    const cached = await cache.match(key);
    return cached || response;
  } catch (e) {
    const cached = await cache.match(key);
    if (cached) return cached;
    throw e;
  }
}

async function cacheFirst(request) {
  const key = cacheKey(request);
  const cache = await caches.open(CACHE);
  const cached = await cache.match(key, { ignoreVary: true });
  if (cached) return cached;
  const response = await fetch(request);
  const path = key.slice(self.registration.scope.length);
  const ours = BUILD_FILES.size === 0 || BUILD_FILES.has(path) || ENTRY_FILES.includes(path);
  if (ours && response.ok && response.type === "basic") await cache.put(key, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  if (!cacheable(event.request)) return;
  event.respondWith(event.request.mode === "navigate" ? navigate(event) : cacheFirst(event.request));
});
