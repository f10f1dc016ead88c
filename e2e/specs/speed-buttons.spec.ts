// The speed group: "Pause" holds virtual time (the script keeps running, its timers wait) and
// "×10" lets it go on. Asserted on the virtual time display, the script's own ticks and the
// buttons' aria-pressed — never on how fast anything was in wall time.
import { test, expect, type Page } from "@playwright/test";
import {
  consoleLog,
  openIde,
  replaceScript,
  run,
  speedButton,
  status,
  statusText,
  virtualTimeHeldStill,
  virtualTimeMs,
} from "../support/ide";

const TICKS = `var ticks = 0;
Timer.set(1000, true, function () {
  ticks++;
  print("tick", ticks);
});
`;

const SPEEDS = ["Pause", "×1", "×10", "×100", "Max"] as const;

/// Exactly `pressed` of the speed buttons is pressed.
async function expectOnlyPressed(page: Page, pressed: (typeof SPEEDS)[number]): Promise<void> {
  for (const label of SPEEDS) {
    await expect(speedButton(page, label)).toHaveAttribute("aria-pressed", String(label === pressed));
  }
}

/// The highest tick the script has printed so far (0: none).
async function lastTick(page: Page): Promise<number> {
  const text = (await consoleLog(page).textContent()) ?? "";
  return Math.max(0, ...[...text.matchAll(/tick (\d+)/g)].map((m) => Number(m[1])));
}

test("Pause holds virtual time and ×10 lets it go on", async ({ page }) => {
  await openIde(page);
  await replaceScript(page, TICKS);
  await expectOnlyPressed(page, "×1");
  await run(page);
  await expect(consoleLog(page)).toContainText("tick 1");
  await expect.poll(() => virtualTimeMs(page)).toBeGreaterThanOrEqual(1000);

  await speedButton(page, "Pause").click();
  await expectOnlyPressed(page, "Pause");
  const beforePause = await virtualTimeMs(page);
  // Still for a second and a half of wall time: at ×1 the display moves every few dozen ms.
  const held = await virtualTimeHeldStill(page, 1500);
  expect(held).toBeGreaterThanOrEqual(beforePause);
  const ticksWhilePaused = await lastTick(page);
  // Paused is not stopped: the script still runs, its timer waits for time to go on.
  await expect(status(page)).toHaveText(statusText("Running"));
  // The ticks the script printed agree with the clock it was paused at.
  expect(ticksWhilePaused).toBeLessThanOrEqual(Math.floor(held / 1000));

  await speedButton(page, "×10").click();
  await expectOnlyPressed(page, "×10");
  await expect.poll(() => virtualTimeMs(page)).toBeGreaterThanOrEqual(held + 5000);
  await expect(consoleLog(page)).toContainText(`tick ${ticksWhilePaused + 5}`);
});
