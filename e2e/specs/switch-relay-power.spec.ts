// The relay switch:0 on the virtual board: switching it on with a load shows the power drawn,
// and the power follows the load.
import { test, expect } from "@playwright/test";
import { consoleLog, openIde, replaceScript, run, virtualBoard } from "../support/ide";

/// The power text: `NN.N W` (the load slider's own value reads `NN W`).
const POWER = /^\d+\.\d W$/;

function watts(text: string | null): number {
  return Number((text ?? "").replace(" W", ""));
}

test("toggling the relay and the load changes the power text", async ({ page }) => {
  await openIde(page);
  await replaceScript(page, 'Timer.set(1000, true, function () {});\nprint("relay test");\n');
  await run(page);
  await expect(consoleLog(page)).toContainText("relay test");

  const sw = virtualBoard(page).getByRole("group", { name: "switch:0" });
  const relay = sw.getByRole("switch", { name: "Relay switch:0" });
  const power = sw.getByText(POWER);
  await expect(relay).toHaveAttribute("aria-checked", "false");
  await sw.getByRole("slider", { name: "Load W" }).fill("1000");
  await expect(power).toHaveText("0.0 W");

  await relay.click();
  await expect(relay).toHaveAttribute("aria-checked", "true");
  await expect.poll(async () => watts(await power.textContent()), { message: "about 1000 W with the relay on" }).toBeGreaterThan(900);
  const at1000 = watts(await power.textContent());

  await sw.getByRole("slider", { name: "Load W" }).fill("2000");
  await expect.poll(async () => watts(await power.textContent()), { message: "the power follows the load" }).toBeGreaterThan(at1000 + 500);

  await relay.click();
  await expect(relay).toHaveAttribute("aria-checked", "false");
  await expect(power).toHaveText("0.0 W");
});
