// Core language: closures, classes, destructuring, loops, exceptions.
function makeCounter() { let n = 0; return () => ++n; }
const c = makeCounter(); c(); c();
print('counter', c());
class A { constructor(x) { this.x = x; } get double() { return this.x * 2; } static make() { return new A(5); } }
class B extends A { constructor() { super(7); this.y = 1; } sum() { return this.x + this.y + super.constructor.name.length; } }
print(A.make().double, new B().sum(), new B() instanceof A);
const { a, b: [p, q = 9], ...rest } = { a: 1, b: [2], c: 3, d: 4 };
print(a, p, q, JSON === undefined ? '' : Object.keys(rest).join(','));
let total = 0;
outer: for (let i = 0; i < 5; i++) { for (const j of [1, 2, 3]) { if (j === 3) continue outer; if (i === 4) break outer; total += i * j; } }
print('total', total);
try { null.x; } catch (e) { print(e instanceof TypeError, e.message); } finally { print('finally'); }
function f() { try { return 'try'; } finally { print('in finally'); } }
print(f());
const fns = []; for (let i = 0; i < 3; i++) fns.push(() => i);
print(fns.map(g => g()).join(' '));
print(`template ${1 + 1} ${'x'.repeat(3)}`, 2 ** 10, null ?? 'dflt', ({ o: { p: 1 } }).o?.p, undefined?.x);
switch ('b') { case 'a': print('a'); case 'b': print('b'); case 'c': print('c'); break; default: print('d'); }
var s = 0; for (var k in { x: 1, y: 2, z: 3 }) s += k.length; print('for-in', s);
print(typeof undefinedVariable, typeof print, typeof 1, typeof 'x', typeof {}, typeof null);
print([1, 2, 3].length, 'héllo'.length, '\xff'.length, '\u00e9'.length);
