// Hello, device: print, the device info, and a repeating timer that stops itself.
let info = Shelly.getDeviceInfo();
print("Hello from", info.id, "(" + info.model + ")");
let ticks = 0;
let timer = Timer.set(1000, true, function () {
  ticks++;
  print("tick", ticks, "uptime", Math.round(Shelly.getComponentStatus("sys").uptime), "s");
  if (ticks === 5) {
    Timer.clear(timer);
    print("done: the script stays loaded, with nothing scheduled");
  }
});
