// Run a wasm32-wasip1 program (a cargo test binary) under node's WASI: the cargo `runner` of
// the 32-bit heap measurement in scripts/firmware.sh. Arguments after the module go to the
// program; its exit code is node's. No files or directories are opened to it.
//
// usage: node tools/wasi-run.mjs MODULE.wasm [ARGS...]
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';

const [module, ...args] = process.argv.slice(2);
if (!module) {
  console.error('usage: node tools/wasi-run.mjs MODULE.wasm [ARGS...]');
  process.exit(2);
}
const wasi = new WASI({ version: 'preview1', args: [module, ...args], env: process.env });
const compiled = await WebAssembly.compile(await readFile(module));
const instance = await WebAssembly.instantiate(compiled, wasi.getImportObject());
process.exitCode = wasi.start(instance);
