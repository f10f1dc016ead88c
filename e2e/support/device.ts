// Real devices for the live-device specs: `ferrite device` (the virtual device, HTTP/WebSocket
// RPC on a loopback port) and `ferrite bridge --device` (its serial console as a WebSocket), run
// as child processes of the test, each with its own data directory and free port.
//
// Nothing here waits a fixed time: a process is ready when it says so on stderr
// (`http: listening on …`, `bridge: ws://…`), and a stop waits for the process to exit.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/// The `ferrite` binary: $FERRITE_BIN, else the debug build in the cargo target dir
/// (scripts/test.sh builds it before the e2e tests).
export function ferriteBin(): string {
  if (process.env.FERRITE_BIN) return process.env.FERRITE_BIN;
  const target = process.env.CARGO_TARGET_DIR || join(process.env.HOME || "", ".cache", "ferrite-target");
  return join(target, "debug", "ferrite");
}

/// A free TCP port on 127.0.0.1 (bound and released; the OS does not hand it out again at once).
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/// A running child process that printed a line matching `ready` on stderr.
export class FerriteProcess {
  private exited: Promise<number | null>;
  stderr = "";

  private constructor(
    readonly child: ChildProcess,
    readonly readyLine: string,
  ) {
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  }

  static async start(args: string[], ready: RegExp, timeoutMs = 20_000): Promise<FerriteProcess> {
    const child = spawn(ferriteBin(), args, { stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`ferrite ${args.join(" ")} did not get ready in ${timeoutMs} ms:\n${stderr}`)),
        timeoutMs,
      );
      child.once("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`ferrite ${args.join(" ")} exited (${code}) before it was ready:\n${stderr}`));
      });
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        const m = ready.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(m[0]);
        }
      });
    });
    // Keep reading both pipes so that the child never blocks on a full pipe.
    const proc = new FerriteProcess(child, line);
    proc.stderr = stderr;
    child.stderr?.on("data", (chunk: Buffer) => (proc.stderr += chunk.toString()));
    child.stdout?.resume();
    return proc;
  }

  /// Kill with `signal` and wait for the exit.
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    await this.exited;
  }
}

/// A virtual device with HTTP/WebSocket RPC on a free loopback port and its own data directory.
/// `restart()` starts it again on the same port and data (after `kill()`).
export class VirtualDevice {
  process!: FerriteProcess;

  private constructor(
    readonly data: string,
    readonly port: number,
    readonly extraArgs: string[],
  ) {}

  static async start(extraArgs: string[] = []): Promise<VirtualDevice> {
    const data = mkdtempSync(join(tmpdir(), "ferrite-e2e-device-"));
    const device = new VirtualDevice(data, await freePort(), extraArgs);
    await device.restart();
    return device;
  }

  /// `host:port` as typed into the IDE's "Device address".
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async restart(): Promise<void> {
    // stdin stays open (a pipe nobody writes): end of input would make the console exit.
    this.process = await FerriteProcess.start(
      ["device", "--data", this.data, "--http", this.address, ...this.extraArgs],
      /http: listening on \S+/,
    );
  }

  async kill(): Promise<void> {
    await this.process.kill();
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.data, { recursive: true, force: true });
  }

  /// One JSON-RPC call over `POST /rpc` (for setting a device up and checking it from the test).
  async rpc(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const response = await fetch(`http://${this.address}/rpc`, {
      method: "POST",
      body: JSON.stringify({ id: 1, method, params }),
    });
    const body = (await response.json()) as { result?: unknown; error?: { code: number; message: string } };
    if (body.error) throw new Error(`${method}: ${body.error.code} ${body.error.message}`);
    return body.result;
  }
}

/// `ferrite bridge --device`: a virtual device whose serial console is a WebSocket.
export class SerialBridge {
  process!: FerriteProcess;

  private constructor(
    readonly data: string,
    readonly port: number,
  ) {}

  static async start(): Promise<SerialBridge> {
    const data = mkdtempSync(join(tmpdir(), "ferrite-e2e-bridge-"));
    const bridge = new SerialBridge(data, await freePort());
    await bridge.restart();
    return bridge;
  }

  /// The bridge's URL as typed into the IDE's "Device address".
  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  async restart(): Promise<void> {
    this.process = await FerriteProcess.start(
      ["bridge", "--listen", `127.0.0.1:${this.port}`, "--device", "--data", this.data],
      /bridge: ws:\/\/\S+/,
    );
  }

  /// SIGTERM: the bridge ends its device child before it exits.
  async kill(): Promise<void> {
    await this.process.kill("SIGTERM");
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.data, { recursive: true, force: true });
  }
}
