// The worker Monaco starts for its JavaScript language service (completions, hovers). It loads
// Monaco's own worker bootstrap from the build's /vs, same origin (so the service worker caches it).
self.MonacoEnvironment = { baseUrl: new URL(".", self.location.href).href };
importScripts(new URL("vs/base/worker/workerMain.js", self.location.href).href);
