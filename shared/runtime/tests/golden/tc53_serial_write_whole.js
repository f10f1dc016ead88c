// run: 100
// Review (M4): TC53 Serial.write is all or nothing. On the simulator the UART takes every
// write, so writes up to the 128-byte output buffer go out whole and a longer one throws with
// nothing written; a byte in format "number" must be 0..255. (A board UART whose queue is full
// is covered by the unit tests in src/api/tc53/serial.rs.)
function attempt(what, f) {
  try { f(); print(what, "ok"); } catch (e) { print(what, "threw", e.name + ":", e.message); }
}
const s = new Serial({port: 1, baud: 115200, format: "buffer",
  onWritable(n) { print("writable", n); }});
attempt("128 bytes", () => s.write(new Uint8Array(128)));
attempt("129 bytes", () => s.write(new ArrayBuffer(129)));
attempt("empty", () => s.write(new ArrayBuffer(0)));
s.format = "number";
attempt("byte 255", () => s.write(255));
attempt("byte 256", () => s.write(256));
