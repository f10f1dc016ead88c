// Smart.js I2C: read the SHT31 temperature/humidity sensor at 0x44 every two seconds
// (single-shot measurement 0x2400, 6 bytes back: T, CRC, RH, CRC).
let i2c = new I2C(4, 5);
function measure() {
  if (i2c.write(0x44, "\x24\x00") !== I2C.ACK) {
    print("no sensor");
    return;
  }
  let d = i2c.read(0x44, 6);
  let t = -45 + 175 * (d.charCodeAt(0) * 256 + d.charCodeAt(1)) / 65535;
  let h = 100 * (d.charCodeAt(3) * 256 + d.charCodeAt(4)) / 65535;
  print("T=" + t.toFixed(1) + "°C", "RH=" + h.toFixed(1) + "%");
}
measure();
Timer.set(2000, true, measure);
