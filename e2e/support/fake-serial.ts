// A WebSerial port for headless Chromium (which has none): `installFakeSerial` injects, before
// the page's scripts run, a `navigator.serial` whose single port tunnels its bytes to a
// `ferrite bridge` WebSocket (docs/PROTOCOL.md §5): binary messages are the serial bytes both
// ways, `open({baudRate})` sends `{"baud": n}`, `setSignals` sends `{"dtr": …, "rts": …}` (a PTY
// answers ok:false, which is ignored). Each open is a new WebSocket; each close closes it.
//
// It behaves like Chrome's SerialPort where the IDE's glue (public/device-io.js) can go wrong:
// - `open` and `close` take a while (LATENCY_MS, like Chrome's round trips to the browser
//   process and the OS): writes and opens racing a baud change or a hand-over show up;
// - `open` of an open (or opening/closing) port rejects with InvalidStateError;
// - `close` rejects with a TypeError while `readable` or `writable` is locked;
// - `readable`/`writable` are null while closed; a lost connection errors the readable with a
//   NetworkError;
// - every `setSignals` errors the readable with a BreakError and puts a new one in its place
//   (as a reset pulse through a USB-UART adapter does): a recoverable read error.
// `fakeSerialLog(page)` returns what happened to the port ("open 115200", "close", "break",
// "open refused: …") for the spec to check.
import type { Page } from "@playwright/test";

/// USB ids the port reports (Espressif's USB-Serial-JTAG, as on an ESP32-C3 board).
export const FAKE_SERIAL_IDS = { usbVendorId: 0x303a, usbProductId: 0x1001 };

/// How long the fake port's open and close take, in ms.
const LATENCY_MS = 60;

export async function installFakeSerial(page: Page, bridgeUrl: string): Promise<void> {
  await page.addInitScript(
    ({ url, ids, latency }) => {
      const log: string[] = [];
      (window as unknown as { __fakeSerialLog: string[] }).__fakeSerialLog = log;
      const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

      class FakeSerialPort extends EventTarget {
        state: "closed" | "opening" | "open" | "closing" = "closed";
        socket: WebSocket | null = null;
        readable: ReadableStream<Uint8Array> | null = null;
        writable: WritableStream<Uint8Array> | null = null;
        /// The controller of the readable in use (a new one after an error, as in Chrome).
        private feed: ReadableStreamDefaultController<Uint8Array> | null = null;

        getInfo() {
          return { ...ids };
        }

        async open(options: { baudRate: number }) {
          if (this.state !== "closed") {
            log.push(`open refused: the port is ${this.state}`);
            throw new DOMException("The port is already open.", "InvalidStateError");
          }
          if (!options || !(options.baudRate > 0)) throw new TypeError("baudRate required");
          this.state = "opening";
          await delay(latency);
          const socket = new WebSocket(url);
          socket.binaryType = "arraybuffer";
          const opened = await new Promise<boolean>((resolve) => {
            socket.onopen = () => resolve(true);
            socket.onerror = () => resolve(false);
          });
          if (!opened) {
            this.state = "closed";
            log.push("open failed: the bridge did not answer");
            throw new DOMException("Failed to open serial port.", "NetworkError");
          }
          socket.send(JSON.stringify({ baud: options.baudRate }));
          this.socket = socket;
          socket.onmessage = (ev) => {
            if (typeof ev.data === "string") return; // the bridge's events and answers
            if (this.socket === socket && this.feed) this.feed.enqueue(new Uint8Array(ev.data));
          };
          socket.onclose = () => {
            if (this.socket !== socket) return;
            log.push("lost");
            this.feed?.error(new DOMException("The device has been lost.", "NetworkError"));
            this.feed = null;
          };
          this.readable = this.newReadable();
          this.writable = new WritableStream<Uint8Array>({
            write: (chunk) => {
              if (this.socket !== socket || socket.readyState !== WebSocket.OPEN) {
                throw new DOMException("The port is closed.", "InvalidStateError");
              }
              socket.send(chunk);
            },
          });
          this.state = "open";
          log.push(`open ${options.baudRate}`);
        }

        private newReadable(): ReadableStream<Uint8Array> {
          return new ReadableStream<Uint8Array>({
            start: (controller) => {
              this.feed = controller;
            },
            cancel: () => {
              this.feed = null;
            },
          });
        }

        async setSignals(signals: { dataTerminalReady?: boolean; requestToSend?: boolean }) {
          if (this.state !== "open" || !this.socket) {
            throw new DOMException("The port is closed.", "InvalidStateError");
          }
          const request: Record<string, boolean> = {};
          if (signals.dataTerminalReady !== undefined) request.dtr = signals.dataTerminalReady;
          if (signals.requestToSend !== undefined) request.rts = signals.requestToSend;
          this.socket.send(JSON.stringify(request));
          // A line change reads as a BREAK on the receive side (a reset pulse through a USB-UART
          // adapter): Chrome errors the readable with a BreakError and hands out a new one.
          if (this.feed) {
            this.feed.error(new DOMException("Break received", "BreakError"));
            this.readable = this.newReadable();
            log.push("break");
          }
        }

        async close() {
          if (this.state !== "open") {
            log.push(`close refused: the port is ${this.state}`);
            throw new DOMException("The port is already closed.", "InvalidStateError");
          }
          if (this.readable?.locked || this.writable?.locked) {
            log.push("close refused: a stream is locked");
            throw new TypeError("Failed to execute 'close' on 'SerialPort': Cannot cancel a locked stream");
          }
          this.state = "closing";
          const socket = this.socket;
          this.socket = null;
          this.feed = null;
          this.readable = null;
          this.writable = null;
          await delay(latency);
          if (socket && socket.readyState !== WebSocket.CLOSED) {
            await new Promise<void>((resolve) => {
              socket.onclose = () => resolve();
              socket.close(1000, "port closed");
            });
          }
          this.state = "closed";
          log.push("close");
        }
      }

      class FakeSerial extends EventTarget {
        readonly port = new FakeSerialPort();
        granted = false;

        async requestPort() {
          this.granted = true;
          return this.port;
        }

        async getPorts() {
          return this.granted ? [this.port] : [];
        }
      }

      const serial = new FakeSerial();
      Object.defineProperty(Navigator.prototype, "serial", {
        configurable: true,
        get: () => serial,
      });
    },
    { url: bridgeUrl, ids: FAKE_SERIAL_IDS, latency: LATENCY_MS },
  );
}

/// What happened to the fake port so far ("open 115200", "close", "open refused: …", "lost").
export async function fakeSerialLog(page: Page): Promise<string[]> {
  return page.evaluate(() => [...((window as unknown as { __fakeSerialLog?: string[] }).__fakeSerialLog ?? [])]);
}
