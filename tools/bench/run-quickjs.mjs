// Runs one JavaScript file under QuickJS compiled to wasm (npm package quickjs-emscripten, sync
// release build), as a whole process, for comparison with Ferrite. Usage:
//   node tools/bench/run-quickjs.mjs FILE.js
// A global `print(...args)` writes its arguments' string forms joined by spaces and a newline.
// Exit status: 0 on success, 1 on an uncaught JS error, 2 on bad usage.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { getQuickJS } from "quickjs-emscripten";

const file = process.argv[2];
if (!file || process.argv.length > 3) {
  process.stderr.write("usage: node run-quickjs.mjs FILE.js\n");
  process.exit(2);
}
let source;
try {
  source = readFileSync(file, "utf8");
} catch (e) {
  process.stderr.write(`run-quickjs: cannot read ${file}: ${e.message}\n`);
  process.exit(2);
}

const out = [];
const QuickJS = await getQuickJS();
const vm = QuickJS.newContext();
// String(x) inside QuickJS gives exactly the JS string form.
const stringFn = vm.getProp(vm.global, "String");
const printFn = vm.newFunction("print", (...args) => {
  const parts = args.map((h) => {
    const r = vm.unwrapResult(vm.callFunction(stringFn, vm.undefined, h));
    const s = vm.getString(r);
    r.dispose();
    return s;
  });
  out.push(parts.join(" ") + "\n");
  if (out.length >= 256) flush();
});
vm.setProp(vm.global, "print", printFn);
printFn.dispose();

function flush() {
  if (out.length) {
    process.stdout.write(out.join(""));
    out.length = 0;
  }
}

const result = vm.evalCode(source, basename(file));
let status = 0;
if (result.error) {
  const err = vm.dump(result.error);
  result.error.dispose();
  flush();
  const text =
    err && typeof err === "object" && "name" in err
      ? `${err.name}: ${err.message}${err.stack ? "\n" + err.stack : ""}`
      : `Error: ${String(err)}`;
  process.stderr.write(`${basename(file)}: ${text}\n`);
  status = 1;
} else {
  result.value.dispose();
}
flush();
stringFn.dispose();
vm.dispose();
process.exitCode = status;
