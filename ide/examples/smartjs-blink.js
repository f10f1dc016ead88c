// Smart.js GPIO: blink an LED on pin 2; a button on pin 4 (pull-up, pressed = low) switches
// between slow and fast blinking.
const LED = 2, BUTTON = 4;
GPIO.setmode(LED, 2, 0);       // output
GPIO.setmode(BUTTON, 3, 1);    // input for interrupts, pull-up
let fast = false, on = 0;
function blink() {
  on = 1 - on;
  GPIO.write(LED, on);
}
let timer = Timer.set(500, true, blink);
GPIO.setisr(BUTTON, 3, function (pin, level) {
  print("pin", pin, "is now", level);
  if (level === 0) {
    fast = !fast;
    Timer.clear(timer);
    timer = Timer.set(fast ? 100 : 500, true, blink);
    print(fast ? "fast" : "slow", "blinking");
  }
});
print("blinking LED on pin", LED, "- press the button on pin", BUTTON);
