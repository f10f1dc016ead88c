// At "Max" virtual time jumps from deadline to deadline: an hour of a 1 s timer takes moments.
// Asserted on virtual time and on what the script counted, never on wall time (the expect
// timeout is only how long to wait before calling it broken).
import { test, expect } from "@playwright/test";
import { consoleLog, openIde, replaceScript, run, speedButton, virtualTimeMs } from "../support/ide";

const TICKS = `var ticks = 0;
Timer.set(1000, true, function () {
  ticks++;
  if (ticks % 600 === 0) print("virtual minutes:", ticks / 60);
});
`;

test("a 1 s timer at Max reaches an hour of virtual time", async ({ page }) => {
  await openIde(page);
  await replaceScript(page, TICKS);
  await speedButton(page, "Max").click();
  await expect(speedButton(page, "Max")).toHaveAttribute("aria-pressed", "true");
  await run(page);
  await expect(consoleLog(page)).toContainText("virtual minutes: 60", { timeout: 60_000 });
  // The clock display follows the worker's time reports, which can come after the log lines
  // that the same stretch of virtual time printed.
  await expect.poll(() => virtualTimeMs(page), { timeout: 10_000 }).toBeGreaterThanOrEqual(3600_000);
  // Every tick fired: no minute was skipped.
  const text = (await consoleLog(page).textContent()) ?? "";
  for (let minute = 10; minute <= 60; minute += 10) expect(text).toContain(`virtual minutes: ${minute}`);
});
