// After one visit the IDE works offline: the service worker (public/sw.js) has cached the build.
// The test serves the build from its own server and shuts it down, so nothing can come from the
// network after the first load (and the browser is set offline as well).
import { test, expect } from "@playwright/test";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { dirname } from "node:path";
import { consoleLog, openIde, replaceScript, run, scriptEditor } from "../support/ide";

/// The repository: the parent of e2e/ (where the configuration is).
function repoRoot(): string {
  return dirname(dirname(test.info().config.configFile!));
}

async function startServer(): Promise<{ url: string; server: ChildProcess }> {
  const server = spawn(process.execPath, ["tools/serve-ide.mjs", "dist", "127.0.0.1:0"], {
    cwd: repoRoot(),
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  for await (const chunk of server.stdout!) {
    out += chunk;
    const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
    if (m) return { url: m[0], server };
  }
  throw new Error(`serve-ide did not start: ${out}`);
}

test("after the first load the IDE works offline", async ({ browser }) => {
  const { url, server } = await startServer();
  const context = await browser.newContext({ baseURL: url });
  try {
    const page = await context.newPage();
    await openIde(page);
    // The worker installs (precaching the build) and takes control of this page.
    await page.waitForFunction(() => !!navigator.serviceWorker?.controller, undefined, { timeout: 30_000 });

    server.kill();
    await once(server, "exit");
    await context.setOffline(true);

    await page.reload();
    await expect(page).toHaveTitle("Ferrite");
    await expect(scriptEditor(page)).toBeEditable();
    await replaceScript(page, 'print("still works offline");\n');
    await run(page);
    await expect(consoleLog(page)).toContainText("still works offline");
  } finally {
    await context.close();
    if (server.exitCode === null) server.kill();
  }
});
