// An allocation bomb runs into the heap budget: a catchable out-of-memory RangeError.
function bomb() {
  let a = [];
  while (true) a.push({ payload: 'x'.repeat(100) + a.length, next: a.length });
}
try { bomb(); } catch (e) { print('caught', e instanceof RangeError, e.message); }
// After the garbage is collected, allocation works again.
let ok = [];
for (let i = 0; i < 1000; i++) ok.push({ i });
print('allocated again', ok.length);
// Doubling a string hits the string size limit first.
let s = 'x';
try { while (true) s += s; } catch (e) { print('string', e instanceof RangeError, e.message, s.length > 1000000); }
bomb();
