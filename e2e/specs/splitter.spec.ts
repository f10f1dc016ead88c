// The splitters resize their panes — by arrow keys and by dragging — report the size as
// aria-valuenow, and the sizes survive a reload.
import { test, expect } from "@playwright/test";
import { openIde, splitter, splitterSize } from "../support/ide";

test("splitters resize by keys and by dragging, and keep their sizes across a reload", async ({ page }) => {
  await openIde(page);
  const sidebarSplitter = splitter(page, "Resize sidebar");
  const boardSplitter = splitter(page, "Resize board panel");
  const sidebarNav = page.getByRole("navigation", { name: "Projects" });

  // Keys: two steps right widen the sidebar, by what aria-valuenow says and as drawn.
  const sidebarBefore = await splitterSize(sidebarSplitter);
  const navWidthBefore = (await sidebarNav.boundingBox())?.width ?? NaN;
  await sidebarSplitter.focus();
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("ArrowRight");
  await expect(sidebarSplitter).toHaveAttribute("aria-valuenow", String(sidebarBefore + 32));
  await expect
    .poll(async () => (await sidebarNav.boundingBox())?.width ?? NaN)
    .toBeCloseTo(navWidthBefore + 32, 0);

  // Drag: the board panel (right) grows when its splitter moves left.
  const boardBefore = await splitterSize(boardSplitter);
  const box = await boardSplitter.boundingBox();
  if (!box) throw new Error("the board splitter is not drawn");
  const x = Math.round(box.x + box.width / 2);
  const y = Math.round(box.y + box.height / 2);
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x - 100, y, { steps: 5 });
  await page.mouse.up();
  await expect(boardSplitter).toHaveAttribute("aria-valuenow", String(boardBefore + 100));

  await page.reload();
  await expect(sidebarSplitter).toHaveAttribute("aria-valuenow", String(sidebarBefore + 32));
  await expect(boardSplitter).toHaveAttribute("aria-valuenow", String(boardBefore + 100));
});
