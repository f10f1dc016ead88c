// A runaway loop is stopped by the fuel budget (the runner gives 5 slices of 10M).
print('before');
while (true) {}
