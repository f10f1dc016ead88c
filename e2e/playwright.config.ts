// Playwright configuration of the IDE's browser tests (run by scripts/test.sh):
//
//   npx playwright test -c e2e/playwright.config.ts [SPEC...]
//
// Drives Debian's Chromium (/usr/bin/chromium; Playwright's own browsers are never downloaded)
// against the release build in dist/ (`scripts/ide.sh build`), served gzip-compressed by
// tools/serve-ide.mjs as in production. No retries: a flaky test is a bug to fix.
import { defineConfig } from "@playwright/test";

const port = Number(process.env.FERRITE_E2E_PORT || 8391);
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: "specs",
  outputDir: "test-results",
  retries: 0,
  workers: Number(process.env.FERRITE_E2E_WORKERS || 1),
  forbidOnly: true,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [["list"]],
  use: {
    baseURL,
    browserName: "chromium",
    launchOptions: {
      executablePath: process.env.FERRITE_CHROMIUM || "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-quic",
        "--no-first-run",
      ],
    },
    actionTimeout: 15_000,
    navigationTimeout: 30_000,
    trace: "retain-on-failure",
  },
  webServer: {
    command: `node tools/serve-ide.mjs dist 127.0.0.1:${port}`,
    cwd: "..",
    url: `${baseURL}/`,
    reuseExistingServer: false,
    stdout: "ignore",
    stderr: "pipe",
  },
});
