// Function constructor and Function.prototype.
function add(a, b, c) { return (this && this.base || 0) + a + b + c; }
print(add.call({ base: 10 }, 1, 2, 3), add.apply({ base: 100 }, [1, 2, 3]), add.apply(null, { length: 3, 0: 1, 1: 1, 2: 1 }));
print(add.call(), add.apply(undefined), add.apply(null, null));
try { add.apply(null, 1); } catch (e) { print(e.name); }
try { add.apply(null, { length: 1e9 }); } catch (e) { print(e.name); }
try { Function.prototype.call.call(1); } catch (e) { print(e.name); }
var b = add.bind({ base: 1000 }, 1);
print(b(2, 3), b.name, b.length, add.bind().length, add.bind(null, 1, 2, 3, 4).length);
function Point(x, y) { this.x = x; this.y = y; }
var P1 = Point.bind(null, 7);
var pt = new P1(8);
print(pt.x, pt.y, pt instanceof Point, pt instanceof P1, Object.getPrototypeOf(P1) === Function.prototype);
print(add.bind(null).bind(null).name);
// toString
print(add.toString());
print(function (x) { return x * 2; }.toString());
print((x => x + 1).toString(), Math.max.toString(), b.toString());
print(Object.getOwnPropertyDescriptor(Object.prototype, '__proto__').get.toString());
try { Function.prototype.toString.call({}); } catch (e) { print(e.name); }
// Function constructor
var sum = new Function('a', 'b', 'return a + b;');
print(sum(2, 3), sum.name, sum.length);
print(sum.toString());
print(Function('return 7')(), Function()(), Function('a,b', 'c', 'return a+b+c')(1, 2, 3));
var injections = ['}); print("pwned"); (function(){', '/*', '*/}'];
for (var i = 0; i < injections.length; i++) {
  try { Function(injections[i]); print('no error'); } catch (e) { print(e.name); }
}
try { Function('a)', 'return 1'); } catch (e) { print(e.name); }
try { Function('a', '}, function(){'); } catch (e) { print(e.name); }
var g = 'global';
print(Function('return typeof g')());
// Function.prototype properties
print(typeof Function.prototype, Function.prototype(), Function.prototype.length, JSONish(Function.prototype.name));
function JSONish(s) { return '"' + s + '"'; }
print(Function.length, Function.prototype.apply.length, Function.prototype.bind.length, Function.prototype.call.length);
try { add.caller; } catch (e) { print('caller', e.name); }
try { Function.prototype.arguments; } catch (e) { print('arguments', e.name); }
print(Function.prototype[Symbol.hasInstance].call(Point, pt), Function.prototype[Symbol.hasInstance].call({}, pt));
print(Object.getOwnPropertyDescriptor(Function.prototype, Symbol.hasInstance).writable);
print(Object.prototype.toString.call(Function.prototype), add instanceof Function, Function instanceof Function);
