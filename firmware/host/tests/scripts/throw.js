// An uncaught error on line 3: reported as throw.js:3:1 (the column of the `throw`).
let x = 1;
throw new TypeError("boom");
print("not reached");
