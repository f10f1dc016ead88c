// The Flash page's peers and UI for the flash specs: `esp32-mock-bootloader` (PyPI: an emulation
// of Espressif's ROM loader over a PTY, validated by the real esptool), `ferrite bridge` on that
// PTY (the page's serial line), `ferrite read-flash` to read back what was written, an ESP32-C3
// app image to flash, and the Flash page's locators (e2e/UI-CONTRACT.md, "Flashing").
//
// Nothing here waits a fixed time: the mock is ready when it prints its PTY path, the bridge
// when it says it listens, and every stop waits for the process to exit.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { expect, type Locator, type Page } from "@playwright/test";
import { FerriteProcess, ferriteBin, freePort } from "./device";

const MOCK = "esp32-mock-bootloader";

/// The mock's executable on $PATH, or null.
export function mockBootloaderPath(): string | null {
  for (const dir of (process.env.PATH || "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, MOCK);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}

/// Why the flash specs are skipped here (the mock is missing and peers are not required), or
/// null when they run. With FERRITE_REQUIRE_PEERS (scripts/test.sh) they always run: a missing
/// mock then fails at start.
export function flashPeersMissing(): string | null {
  if (mockBootloaderPath() || process.env.FERRITE_REQUIRE_PEERS) return null;
  return `${MOCK} is not installed (pip install ${MOCK}; scripts/common.sh ensure_test_peers)`;
}

/// `esp32-mock-bootloader run --pty --chip CHIP`: the PTY path is the first stdout line that
/// starts with /dev/. Its flash lives as long as the process.
export class MockBootloader {
  private exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly pty: string,
  ) {
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
      else child.once("exit", (code) => resolve(code));
    });
  }

  static async start(chip = "esp32c3", timeoutMs = 30_000): Promise<MockBootloader> {
    const child = spawn(mockBootloaderPath() || MOCK, ["run", "--pty", "--chip", chip], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stderr?.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const pty = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${MOCK} printed no PTY path in ${timeoutMs} ms:\n${out}${err}`)), timeoutMs);
      child.once("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`${MOCK} exited (${code}) before it was ready:\n${out}${err}`));
      });
      child.stdout?.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const line = out.split("\n").find((l) => l.trim().startsWith("/dev/"));
        if (line) {
          clearTimeout(timer);
          resolve(line.trim());
        }
      });
    });
    child.removeAllListeners("exit");
    // Keep draining its output so that it never blocks on a full pipe.
    child.stdout?.resume();
    const mock = new MockBootloader(child, pty);
    return mock;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGTERM");
    await this.exited;
  }
}

/// `ferrite bridge --listen 127.0.0.1:PORT PATH`: the serial line at PATH as a WebSocket.
export class PortBridge {
  private constructor(
    readonly process: FerriteProcess,
    readonly port: number,
  ) {}

  static async start(path: string): Promise<PortBridge> {
    const port = await freePort();
    const process = await FerriteProcess.start(
      ["bridge", "--listen", `127.0.0.1:${port}`, path],
      /bridge: ws:\/\/\S+/,
    );
    return new PortBridge(process, port);
  }

  /// The URL typed into the Flash page's "Bridge URL".
  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    await this.process.kill("SIGTERM");
  }
}

/// `ferrite read-flash PTY OFFSET LEN OUT`: the chip's flash from `offset`.
export function readFlash(pty: string, offset: number, length: number): Buffer {
  const dir = mkdtempSync(join(tmpdir(), "ferrite-e2e-flash-"));
  try {
    const out = join(dir, "read.bin");
    const result = spawnSync(ferriteBin(), ["read-flash", pty, `0x${offset.toString(16)}`, String(length), out], {
      encoding: "utf8",
      timeout: 120_000,
    });
    if (result.status !== 0) {
      throw new Error(`ferrite read-flash failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
    }
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/// An ESP32-C3 app image: the 24-byte header (magic 0xE9, one segment, flash mode DIO, 4 MB at
/// 40 MHz, an entry point, the extended header with chip id 5 = ESP32-C3), one segment of
/// `payloadBytes` random bytes (a multiple of 4) at a DROM address, then the padding to 16 bytes
/// with the checksum (0xEF xor every segment byte) last.
export function esp32c3AppImage(payloadBytes: number): Buffer {
  const len = payloadBytes - (payloadBytes % 4);
  const header = Buffer.alloc(24);
  header[0] = 0xe9;
  header[1] = 1;
  header[2] = 2;
  header[3] = 0x20;
  header.writeUInt32LE(0x42000020, 4);
  header[8] = 0xee; // WP pin: none
  header.writeUInt16LE(5, 12); // chip id: ESP32-C3
  header.writeUInt16LE(0xffff, 17); // max chip revision: any
  const segment = Buffer.alloc(8);
  segment.writeUInt32LE(0x3c000020, 0);
  segment.writeUInt32LE(len, 4);
  const payload = randomBytes(len);
  let checksum = 0xef;
  for (const b of payload) checksum ^= b;
  const body = 24 + 8 + len;
  const padded = (Math.floor(body / 16) + 1) * 16;
  const tail = Buffer.alloc(padded - body);
  tail[tail.length - 1] = checksum;
  return Buffer.concat([header, segment, payload, tail]);
}

// ---------- the Flash page (e2e/UI-CONTRACT.md, "Flashing") ----------

/// The Flash tab of the run panel.
export function flashTab(page: Page): Locator {
  return page.getByRole("tablist", { name: "Run target" }).getByRole("tab", { name: "Flash", exact: true });
}

export function flashPanel(page: Page): Locator {
  return page.getByRole("tabpanel", { name: "Flash" });
}

export function firmwareFile(page: Page): Locator {
  return flashPanel(page).getByLabel("Firmware file", { exact: true });
}

export function firmwareFileKind(page: Page): Locator {
  return flashPanel(page).getByRole("status", { name: "Firmware file kind" });
}

export function flashOffset(page: Page): Locator {
  return flashPanel(page).getByRole("textbox", { name: "Flash offset" });
}

export function flashConnection(page: Page): Locator {
  return flashPanel(page).getByRole("combobox", { name: "Flash connection" });
}

export function bridgeUrl(page: Page): Locator {
  return flashPanel(page).getByRole("textbox", { name: "Bridge URL" });
}

/// The rate to switch to once the chip answered ("115200" … "921600").
export function flashBaud(page: Page): Locator {
  return flashPanel(page).getByRole("combobox", { name: "Flash baud" });
}

/// "No bundled firmware in this build" (and why), without bundled firmware.
export function bundledFirmwareStatus(page: Page): Locator {
  return flashPanel(page).getByRole("status", { name: "Bundled firmware" });
}

/// The "Flash stage" status ("Connecting to the chip", "Done", …).
export function flashStage(page: Page): Locator {
  return flashPanel(page).getByRole("status", { name: "Flash stage" });
}

/// The "Flash notes" log.
export function flashNotes(page: Page): Locator {
  return flashPanel(page).getByRole("log", { name: "Flash notes" });
}

export function flashButton(page: Page): Locator {
  return flashPanel(page).getByRole("button", { name: "Flash", exact: true });
}

export function flashProgress(page: Page): Locator {
  return flashPanel(page).getByRole("progressbar", { name: "Flash progress" });
}

/// "Verified (MD5): k blocks written, m unchanged", or "Failed: <error>".
export function flashResult(page: Page): Locator {
  return flashPanel(page).getByRole("status", { name: "Flash result" });
}

export function chipFacts(page: Page): Locator {
  return flashPanel(page).getByRole("region", { name: "Chip" });
}

/// The `dd` of the Chip region's row `name` ("Chip", "MAC", "Flash size", "Stub"): the row's
/// own value, not some text elsewhere in the region (the notes also name the chip).
export function chipFact(page: Page, name: "Chip" | "MAC" | "Flash size" | "Stub"): Locator {
  return chipFacts(page).locator("dl > dt").filter({ hasText: new RegExp(`^${name}$`) }).locator("xpath=following-sibling::dd[1]");
}

/// The Device tab of the run panel (shown after a flash with "Reset after flashing").
export function deviceRunTab(page: Page): Locator {
  return page.getByRole("tablist", { name: "Run target" }).getByRole("tab", { name: "Device", exact: true });
}

/// Press Flash and wait until the flash with "Reset after flashing" ended and the page switched
/// to the Device tab. A failed flash stays on the Flash page: its result ("Failed: …") is then
/// what the wait reports.
export async function flashAndWaitForDeviceTab(page: Page, timeoutMs = 120_000): Promise<void> {
  await flashButton(page).click();
  await expect
    .poll(
      async () => {
        if ((await deviceRunTab(page).getAttribute("aria-selected")) === "true") return "switched to the Device tab";
        const result = await flashResult(page)
          .textContent({ timeout: 1000 })
          .catch(() => "");
        return `still on the Flash page: ${JSON.stringify(result)}`;
      },
      { message: "the flash ends and the Device tab is shown", timeout: timeoutMs },
    )
    .toBe("switched to the Device tab");
}
