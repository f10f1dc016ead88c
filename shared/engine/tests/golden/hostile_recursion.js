// Unbounded recursion is a RangeError that scripts can catch.
function down(n) { return down(n + 1) + 1; }
try { down(0); } catch (e) { print(e instanceof RangeError, e.message); }
// Recursion through a native callback is bounded too.
function viaNative() { return [1].map(viaNative); }
try { viaNative(); } catch (e) { print(e instanceof RangeError, e.message); }
// Uncaught, it ends the script with an error (the engine stays usable).
down(0);
