// run: 1000
// at 100: drive 4 high
// at 200: drive 4 low
// at 300: drive 5 low
// at 310: drive 5 high
// at 320: drive 5 low
// at 500: drive 5 high
// at 600: drive 5 low
// at 660: drive 5 high
// at 665: drive 5 low
// at 670: drive 5 high
// at 700: drive 6 high
// at 800: drive 6 low
// at 900: drive 6 high
// at 950: drive 7 high
// at 960: drive 7 low
// at 970: drive 7 high
// Smart.js GPIO: modes, read/write, setisr on edges, button mode debouncing (a release that
// bounces is not a press), removal.
print("setmode out", GPIO.setmode(2, 2, 0), "write", GPIO.write(2, 1), "read", GPIO.read(2));
GPIO.write(2, 0);
print("read after write 0", GPIO.read(2));
print("input pull-up reads", GPIO.setmode(3, 1, 1), GPIO.read(3));
print("bad values:", GPIO.setmode(99, 1, 0), GPIO.setmode(3, 7, 0), GPIO.read(-1), GPIO.write("x", 1));
print("isr any", GPIO.setisr(4, 3, function (pin, level) { print("any edge", pin, level); }));
print("isr button", GPIO.setisr(5, 6, function (pin, level) { print("button", pin, level); }));
print("isr rising", GPIO.setisr(6, 1, function (pin, level) {
  print("rising", pin, level, "- removing:", GPIO.setisr(6, 0));
}));
print("isr high level", GPIO.setisr(7, 5, function (pin, level) { print("high level", pin, level); }));
print("bad type", GPIO.setisr(4, 9, function () {}));
try {
  GPIO.setisr(4, 3, 42);
} catch (e) {
  print(e.name + ": " + e.message);
}
