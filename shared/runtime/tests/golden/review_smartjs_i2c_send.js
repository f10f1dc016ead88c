// run: 100
// Review: bytes queued by I2C.send in a write transaction are bounded (4096): beyond, send
// reports I2C.ERR instead of growing a buffer outside the script's heap.
let i2c = new I2C(4, 5);
let chunk = "";
for (let i = 0; i < 1000; i++) chunk += "\x00";
print("start:", i2c.start(0x50, I2C.WRITE));
let acks = [];
for (let i = 0; i < 5; i++) acks.push(i2c.send(chunk));
print("sends of 1000 bytes:", acks.join(","), "ERR is", I2C.ERR);
i2c.stop();
