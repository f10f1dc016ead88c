// run: 1000
// at 100: drive 4 high
// at 200: drive 4 low
// at 300: drive 7 high
// at 400: drive 6 high
// at 500: drive 7 low
// TC53 Digital and DigitalBank: outputs, inputs with onReadable (this = the instance),
// banks with rises/falls masks, require, format, close, and bad arguments.
const Digital = require("embedded:io/digital");
const DigitalBank = require("embedded:io/digitalbank");
print("require gives the globals:", Digital === globalThis.Digital, DigitalBank === globalThis.DigitalBank);
print("constants:", Digital.Input, Digital.InputPullUp, Digital.InputPullDown, Digital.Output, Digital.OutputOpenDrain, Digital.Rising, Digital.Falling);
const led = new Digital({pin: 2, mode: Digital.Output});
let out = led;
led.write(1);
print("led is a Digital:", led instanceof Digital, "format:", led.format, "GPIO.read(2):", GPIO.read(2));
let edges = 0;
const button = new Digital({
  pin: 4,
  mode: Digital.InputPullDown,
  edge: Digital.Rising | Digital.Falling,
  onReadable() {
    edges++;
    print("button", this.read(), "this is button:", this === button);
    out.write(this.read());
    print("led follows:", GPIO.read(2));
    if (edges === 2) {
      this.close();
      print("button closed");
    }
  },
});
print("button reads", button.read());
const bank = new DigitalBank({
  pins: (1 << 6) | (1 << 7),
  mode: Digital.InputPullDown,
  rises: 1 << 7,
  falls: 1 << 7,
  onReadable(triggers) {
    print("bank triggers", triggers.toString(2), "levels", this.read().toString(2));
  },
});
const outs = new DigitalBank({pins: 0x300, mode: DigitalBank.Output});
outs.write(0x3ff);
print("outs wrote 0x300:", GPIO.read(8), GPIO.read(9), GPIO.read(10));

function attempt(what, f) {
  try {
    f();
    print(what, "did not throw");
  } catch (e) {
    print(what, "->", e.name + ": " + e.message);
  }
}
attempt("no options", () => new Digital(5));
attempt("no mode", () => new Digital({pin: 3}));
attempt("bad pin", () => new Digital({pin: 99, mode: Digital.Input}));
attempt("string pin", () => new Digital({pin: "3", mode: Digital.Input}));
attempt("pin in use", () => new Digital({pin: 2, mode: Digital.Output}));
attempt("onReadable without edge", () => new Digital({pin: 3, mode: Digital.Input, onReadable() {}}));
attempt("onReadable not a function", () => new Digital({pin: 3, mode: Digital.Input, edge: 1, onReadable: 5}));
attempt("without new", () => Digital({pin: 3, mode: Digital.Input}));
attempt("read an output", () => led.read());
attempt("write 2", () => led.write(2));
attempt("set format", () => { led.format = "buffer"; });
attempt("bank pins missing", () => new DigitalBank({mode: Digital.Input}));
attempt("bank onReadable without rises/falls", () => new DigitalBank({pins: 1, mode: Digital.Input, onReadable() {}}));
attempt("method on another object", () => Digital.prototype.read.call({}));
attempt("unknown module", () => require("embedded:io/nope"));
led.close();
attempt("write after close", () => led.write(0));
const again = new Digital({pin: 2, mode: Digital.Output});
out = again;
print("pin 2 is free again:", again instanceof Digital);
