// TC53 Digital: an LED on pin 2 shows the state of a button on pin 4 (pull-up: pressed = low).
const Digital = require("embedded:io/digital");
const led = new Digital({pin: 2, mode: Digital.Output});
const button = new Digital({
  pin: 4,
  mode: Digital.InputPullUp,
  edge: Digital.Rising | Digital.Falling,
  onReadable() {
    const pressed = this.read() === 0;
    led.write(pressed ? 1 : 0);
    print(pressed ? "pressed: LED on" : "released: LED off");
  },
});
led.write(0);
print("press the button on pin 4");
