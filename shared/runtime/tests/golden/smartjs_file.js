// run: 1000
// Smart.js File round trip, directory listing, rename/remove; Http without an HTTP client;
// usleep bounds; GC.stat; Debug; OS.wdt_feed; Wifi on a board without Wifi; SPI.
let f = File.open("/data/log.txt", "w");
print("write:", f.write("line 1\n"), f.write("line 2\n"), "read on w:", JSON.stringify(f.read()));
f.close();
f = File.open("data/log.txt", "a");
f.write("line 3\n");
f.close();
f = File.open("/data/log.txt");
print("read 4:", JSON.stringify(f.read(4)), "rest:", JSON.stringify(f.readAll()), "eof:", JSON.stringify(f.read()));
print("write on r:", f.write("x"));
f.close();
try {
  f.read();
} catch (e) {
  print(e.name + ": " + e.message);
}
print("missing:", File.open("nope.txt"), "bad name:", File.open("../etc/passwd", "w"));
File.open("top.txt", "w").write("top");
print("list root:", JSON.stringify(File.list("/")), "list data:", JSON.stringify(File.list("data")));
print("rename:", File.rename("data/log.txt", "data/old.txt"), File.rename("data/log.txt", "x"));
print("remove:", File.remove("data/old.txt"), File.remove("data/old.txt"));
print("list data now:", JSON.stringify(File.list("data")));
try {
  File.open("a.txt", "q");
} catch (e) {
  print(e.name + ": " + e.message);
}

print("Http.get started:", Http.get("http://example.com/", function (data, error) {
  print("Http.get callback:", data, error);
}));
try {
  Http.get("http://example.com/");
} catch (e) {
  print(e.name + ": " + e.message);
}

print("usleep:", usleep(1000));
try {
  usleep(5000000);
} catch (e) {
  print(e.name + ": " + e.message);
}
let g = GC.stat();
print("GC.stat:", typeof g.used, g.used > 0, g.used + g.free === g.heap_total, "sys_total" in g);
print("wdt:", OS.wdt_feed());
try {
  Wifi.status();
} catch (e) {
  print(e.name + ": " + e.message);
}
print("Debug.mode:", Debug.mode(1));
Debug.print("debug line", 42, {a: 1});
Debug.mode(0);
Debug.print("this is discarded");
print("Debug.mode bad:", Debug.mode(7));
let spi = new SPI();
print("spi loopback:", spi.tran(0x12345678, 2), spi.txn(8, 0x9f, 0, 0, 0, 0, 24, 0));
try {
  spi.txn(9, 1, 0, 0, 0, 0, 8, 0);
} catch (e) {
  print(e.name + ": " + e.message);
}
