// Runs one JavaScript file with Ferrite compiled to wasm32-unknown-unknown (tools/wasm-runner), as a
// whole process, for benchmarks and checks. Usage:
//   node tools/bench/run-wasm.mjs FERRITE.wasm FILE.js [--heap BYTES]
// Build the module with:
//   cargo build -p ferrite-wasm-runner --target wasm32-unknown-unknown --profile bench-wasm
// The module exports alloc/dealloc/run (and run_named) and imports env.write(ptr, len), through
// which it sends the script's output and then, on failure, the error text in one last call: that
// last call goes to stderr when run fails or traps, everything else to stdout.
// Exit status: 0 ok, 1 uncaught JS error, 2 bad usage, 3 the module trapped (a panic).
import { readFileSync } from "node:fs";
import { basename } from "node:path";

function usage(msg) {
  if (msg) process.stderr.write(`run-wasm: ${msg}\n`);
  process.stderr.write("usage: node run-wasm.mjs FERRITE.wasm FILE.js [--heap BYTES]\n");
  process.exit(2);
}

const args = process.argv.slice(2);
let heap = 0;
const positional = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "--heap" || a.startsWith("--heap=")) {
    const v = a === "--heap" ? args[++i] : a.slice("--heap=".length);
    const m = /^(\d+)([kKmM]?)$/.exec(v ?? "");
    if (!m) usage(`bad --heap value ${v}`);
    heap = Number(m[1]) * { "": 1, k: 1024, m: 1 << 20 }[m[2].toLowerCase()];
  } else {
    positional.push(a);
  }
}
if (positional.length !== 2) usage();
const [wasmPath, file] = positional;

let wasmBytes, source;
try {
  wasmBytes = readFileSync(wasmPath);
} catch (e) {
  usage(`cannot read ${wasmPath}: ${e.message}`);
}
try {
  source = readFileSync(file);
} catch (e) {
  usage(`cannot read ${file}: ${e.message}`);
}

let memory;
const chunks = [];
let buffered = 0;
let last = null; // the latest write, held back until we know where it goes
function flush() {
  if (chunks.length) {
    process.stdout.write(Buffer.concat(chunks));
    chunks.length = 0;
    buffered = 0;
  }
}
const imports = {
  env: {
    write(ptr, len) {
      // Copy out: wasm memory may grow (and be detached) later.
      if (last) {
        chunks.push(last);
        buffered += last.length;
        if (buffered >= 1 << 16) flush();
      }
      last = Buffer.from(new Uint8Array(memory.buffer, ptr, len));
    },
  },
};
function finish(failed) {
  if (last && !failed) chunks.push(last);
  flush();
  if (last && failed) process.stderr.write(last);
  last = null;
}

const { instance } = await WebAssembly.instantiate(wasmBytes, imports);
const ex = instance.exports;
memory = ex.memory;

function copyIn(bytes) {
  const ptr = ex.alloc(bytes.length) >>> 0;
  new Uint8Array(memory.buffer, ptr, bytes.length).set(bytes);
  return ptr;
}

let status;
try {
  const src = copyIn(source);
  if (ex.run_named) {
    const name = Buffer.from(basename(file), "utf8");
    const namePtr = copyIn(name);
    status = ex.run_named(src, source.length, namePtr, name.length, heap);
    ex.dealloc(namePtr, name.length);
  } else {
    status = ex.run(src, source.length, heap);
  }
  ex.dealloc(src, source.length);
} catch (e) {
  finish(true);
  process.stderr.write(`run-wasm: the module trapped: ${e && e.message}\n`);
  process.exitCode = 3;
  status = null;
}
if (status !== null) {
  finish(status !== 0);
  process.exitCode = status;
}
