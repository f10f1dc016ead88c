// TC53 Analog and PWM: a potentiometer on analog pin 3 sets the duty of a PWM output on pin 5.
const Analog = require("embedded:io/analog");
const PWM = require("embedded:io/pwm");
const pot = new Analog({pin: 3});
const out = new PWM({pin: 5, hz: 1000});
const maxIn = (1 << pot.resolution) - 1;
const maxOut = (1 << out.resolution) - 1;
let last = -1;
function follow() {
  const duty = Math.round(pot.read() / maxIn * maxOut);
  if (duty !== last) {
    last = duty;
    out.write(duty);
    print("duty", duty, "of", maxOut, "(" + Math.round(100 * duty / maxOut) + " %)");
  }
}
follow();
Timer.set(200, true, follow);
