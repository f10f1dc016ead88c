// run: 1000
// at 100: analog 3 2048
// at 200: uart 1 hello
// at 300: part 0x20 pin3 0
// at 350: part 0x20 pin4 0
// at 400: part 0x44 temperature -10.5
// TC53 Analog, PWM, I2C (sensor and EEPROM), Serial, and the MCP23017 expander provider.
function attempt(what, f) {
  try {
    f();
    print(what, "did not throw");
  } catch (e) {
    print(what, "->", e.name + ": " + e.message);
  }
}
const Analog = require("embedded:io/analog");
const a = new Analog({pin: 3});
const a8 = new Analog({pin: 3, resolution: 8});
print("analog", a.read(), "resolution", a.resolution, a8.resolution);
setTimeout(function () {
  print("analog at 150:", a.read(), "of", (1 << a.resolution) - 1, "8-bit:", a8.read());
}, 150);

const PWM = require("embedded:io/pwm");
const pwm = new PWM({pin: 5, hz: 10000});
pwm.write(512);
print("pwm resolution", pwm.resolution);
attempt("pwm duty too big", () => pwm.write(1 << pwm.resolution));
attempt("pwm hz 0", () => new PWM({pin: 6, hz: 0}));

// I2C: measure with the SHT3x at 0x44.
const I2C_ = require("embedded:io/i2c");
const sensor = new I2C_({data: 8, clock: 9, hz: 100000, address: 0x44});
function measure() {
  sensor.write(Uint8Array.of(0x24, 0x00));
  const d = new Uint8Array(sensor.read(6));
  return (-45 + 175 * (d[0] * 256 + d[1]) / 65535).toFixed(2) + " C " +
    (100 * (d[3] * 256 + d[4]) / 65535).toFixed(2) + " %";
}
print("sensor:", measure(), "format", sensor.format);
setTimeout(function () { print("sensor at 450:", measure()); }, 450);
// EEPROM: write 3 bytes at 0x0020, read them back with a held write (repeated start).
const eeprom = new I2C({data: 8, clock: 9, hz: 400000, address: 0x50});
eeprom.write(Uint8Array.of(0x00, 0x20, 1, 2, 3));
eeprom.write(Uint8Array.of(0x00, 0x20), false);
print("eeprom:", Array.from(new Uint8Array(eeprom.read(3))).join(","));
const into = new Uint8Array(2);
eeprom.write(Uint8Array.of(0x00, 0x21), false);
print("read into a buffer:", eeprom.read(into), Array.from(into).join(","));
attempt("absent device", () => new I2C({data: 8, clock: 9, hz: 100000, address: 0x11}).read(1));
attempt("no address", () => new I2C({data: 8, clock: 9, hz: 100000}));
attempt("write a string", () => eeprom.write("abc"));
// The asynchronous form: read(count) queues, onReadable says how many wait, read() takes one.
const asyncSensor = new I2C({
  data: 8, clock: 9, hz: 100000, address: 0x44,
  onReadable(n) {
    const d = new Uint8Array(this.read());
    print("async: results waiting", n, "first has", d.length, "bytes, crc", d[2], "then", this.read());
  },
});
asyncSensor.write(Uint8Array.of(0x24, 0x00));
print("async read returns", asyncSensor.read(6));
const asyncMissing = new I2C({
  data: 8, clock: 9, hz: 100000, address: 0x12,
  onReadable() {},
  onError(message) { print("async error:", message); },
});
asyncMissing.read(2);

// Serial on UART 1: echo what arrives.
const Serial = require("embedded:io/serial");
const serial = new Serial({
  port: 1,
  baud: 115200,
  format: "buffer",
  onReadable(count) {
    const b = this.read();
    print("serial got", count, "bytes:", String.fromCharCode.apply(null, Array.from(new Uint8Array(b))), "then", this.read());
    this.format = "number";
    this.write(33);
  },
  onWritable(count) {
    print("serial writable", count);
  },
});
attempt("second Serial on port 1", () => new Serial({port: 1, baud: 9600}));
attempt("Serial without baud", () => new Serial({port: 2}));
attempt("bad format", () => { serial.format = "string"; });

// The MCP23017 expander: an output on pin 8 (GPB0) and an input with a falling edge on pin 3.
const Expander = require("embedded:provider/mcp23017");
const ex = new Expander({address: 0x20, hz: 400000, data: 8, clock: 9});
const exOut = new ex.Digital({pin: 8, mode: ex.Digital.Output});
exOut.write(1);
const raw = new I2C(10, 11);
print("expander address", ex.address, "OLATB", raw.readRegB(0x20, 0x15), "IODIRB", raw.readRegB(0x20, 0x01).toString(2));
const exIn = new ex.Digital({
  pin: 3,
  mode: ex.Digital.InputPullUp,
  edge: ex.Digital.Falling,
  onReadable() {
    print("expander pin 3 fell, reads", this.read(), "is Digital:", this instanceof Digital);
  },
});
print("expander input reads", exIn.read());
const exBank = new ex.DigitalBank({
  pins: 0xF0,
  mode: ex.Digital.InputPullUp,
  falls: 0x10,
  onReadable(triggers) {
    print("expander bank triggers", triggers.toString(16), "reads", this.read().toString(16));
  },
});
print("expander bank reads", exBank.read().toString(16));
attempt("expander pin in use", () => new ex.Digital({pin: 8, mode: Digital.Input}));
attempt("expander pull-down", () => new ex.Digital({pin: 9, mode: Digital.InputPullDown}));
attempt("expander pin 16", () => new ex.Digital({pin: 16, mode: Digital.Input}));
attempt("no expander at 0x21", () => new Expander({address: 0x21}));
setTimeout(function () {
  ex.close();
  attempt("after the expander closed", () => exOut.write(0));
  pwm.close();
  print("closed; pwm pin free again:", new PWM({pin: 5}).resolution);
}, 600);
