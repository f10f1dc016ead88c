// The virtual board shows each running script's heap as a meter: used of its budget.
import { test, expect } from "@playwright/test";
import { consoleLog, openIde, replaceScript, run, virtualBoard } from "../support/ide";

test("the memory meter shows the script's heap used of its budget", async ({ page }) => {
  await openIde(page);
  await replaceScript(page, 'let keep = [];\nfor (let i = 0; i < 200; i++) keep.push("item " + i);\nTimer.set(1000, true, function () {});\nprint("holding", keep.length);\n');
  await run(page);
  await expect(consoleLog(page)).toContainText("holding 200");

  const meter = virtualBoard(page).getByRole("meter", { name: /^Heap script \d+$/ });
  await expect(meter).toHaveText(/^\d+\.\d \/ \d+\.\d KiB$/);
  const used = Number(await meter.getAttribute("aria-valuenow"));
  const budget = Number(await meter.getAttribute("aria-valuemax"));
  expect(used).toBeGreaterThan(0);
  expect(budget).toBeGreaterThan(used);
  const [shownUsed, shownBudget] = ((await meter.textContent()) ?? "").match(/[\d.]+/g)!.map(Number);
  expect(shownBudget).toBeCloseTo(budget / 1024, 0);
  expect(shownUsed).toBeGreaterThan(0);
});
