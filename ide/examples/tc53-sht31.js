// TC53 I2C: the SHT31 sensor at 0x44 with the standard I2C class, once a second.
const I2C = require("embedded:io/i2c");
const sensor = new I2C({data: 8, clock: 9, hz: 100000, address: 0x44});
function measure() {
  sensor.write(Uint8Array.of(0x24, 0x00));
  const d = new Uint8Array(sensor.read(6));
  const t = -45 + 175 * (d[0] * 256 + d[1]) / 65535;
  const h = 100 * (d[3] * 256 + d[4]) / 65535;
  print(`temperature ${t.toFixed(1)} °C, humidity ${h.toFixed(1)} %`);
}
measure();
setInterval(measure, 1000);
