// Smart.js File: append a line per reading to a log file, then read it back and list files.
let n = 0;
function logLine() {
  n++;
  let f = File.open("log.txt", "a");
  f.write("reading " + n + " at " + Math.round(Shelly.getComponentStatus("sys").uptime) + " s\n");
  f.close();
  if (n === 3) {
    let r = File.open("log.txt");
    print("log.txt holds:\n" + r.readAll());
    r.close();
    print("files:", JSON.stringify(File.list("/")));
    File.remove("log.txt");
    Timer.clear(t);
  }
}
let t = Timer.set(500, true, logLine);
print("logging three readings");
