// run: 2000
// at 1000: part 0x44 temperature 30
// at 1000: part 0x44 humidity 61.5
// Smart.js I2C on the simulated parts: the SHT3x sensor (high- and low-level), the 24C32
// EEPROM (page write, random and sequential reads, I2C.do), the MCP23017 registers.
let i2c = new I2C(4, 5);
function crc8(s, at) {
  let crc = 0xff;
  for (let i = at; i < at + 2; i++) {
    crc ^= s.charCodeAt(i);
    for (let b = 0; b < 8; b++) crc = crc & 0x80 ? ((crc << 1) ^ 0x31) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}
function decode(d) {
  if (typeof d !== "string") return "error " + d;
  let t = -45 + 175 * (d.charCodeAt(0) * 256 + d.charCodeAt(1)) / 65535;
  let h = 100 * (d.charCodeAt(3) * 256 + d.charCodeAt(4)) / 65535;
  let ok = crc8(d, 0) === d.charCodeAt(2) && crc8(d, 3) === d.charCodeAt(5);
  return "T=" + t.toFixed(2) + " H=" + h.toFixed(2) + " crc " + (ok ? "ok" : "BAD");
}
print("constants", I2C.READ, I2C.WRITE, I2C.ACK, I2C.NAK, I2C.ERR, I2C.NONE);
print("high-level:", i2c.write(0x44, "\x24\x00"), decode(i2c.read(0x44, 6)));
print("read again without a measurement:", i2c.read(0x44, 6));
print("low-level start:", i2c.start(0x44, I2C.WRITE), "send:", i2c.send(0x24), i2c.send(0x00));
i2c.stop();
print("start read:", i2c.start(0x44, I2C.READ));
print("low-level:", decode(i2c.readString(6, I2C.NAK)));
i2c.stop();
print("absent device:", i2c.start(0x10, I2C.WRITE), i2c.read(0x10, 2), i2c.write(0x10, 1));
print("send outside a transaction:", i2c.send(1));

// EEPROM: write "hello" at 0x0010, read it back three ways.
print("eeprom write:", i2c.write(0x50, "\x00\x10hello"));
print("do:", JSON.stringify(i2c.do(0x50, [I2C.WRITE, "\x00\x10"], [I2C.READ, 5])));
i2c.start(0x50, I2C.WRITE);
i2c.send("\x00\x10");
i2c.start(0x50, I2C.READ);
let bytes = [];
for (let k = 0; k < 5; k++) bytes.push(String.fromCharCode(i2c.readByte(k < 4 ? I2C.ACK : I2C.NAK)));
i2c.stop();
print("repeated start + readByte:", bytes.join(""));
function hex(s) {
  let out = [];
  for (let k = 0; k < s.length; k++) out.push(s.charCodeAt(k).toString(16));
  return out.join(" ");
}
print("sequential read continues:", hex(i2c.read(0x50, 2)));
// A page write wraps in its 32-byte page: 4 bytes at 0x003E land at 0x3E, 0x3F, 0x20, 0x21.
i2c.write(0x50, "\x00\x3eABCD");
print("page wrap:", i2c.do(0x50, [I2C.WRITE, "\x00\x20"], [I2C.READ, 2])[1],
  i2c.do(0x50, [I2C.WRITE, "\x00\x3e"], [I2C.READ, 3]).map(function (x) { return typeof x === "string" ? hex(x) : x; }).join(","));

// MCP23017: port A outputs, latch, read back through GPIOA.
print("expander:", i2c.writeRegB(0x20, 0x00, 0x00), i2c.writeRegB(0x20, 0x14, 0x55),
  i2c.readRegB(0x20, 0x12), i2c.readRegW(0x20, 0x00), i2c.readRegB(0x11, 0));
try {
  new I2C();
} catch (e) {
  print(e.name + ": " + e.message);
}
try {
  I2C(1, 2);
} catch (e) {
  print(e.name + ": " + e.message);
}
try {
  i2c.do(0x50, [7, 1]);
} catch (e) {
  print(e.name + ": " + e.message);
}
Timer.set(1500, false, function () {
  i2c.write(0x44, "\x2c\x06");
  print("after the part changed:", decode(i2c.read(0x44, 6)));
  i2c.close();
  try {
    i2c.read(0x44, 6);
  } catch (e) {
    print(e.name + ": " + e.message);
  }
});
