// With default parameters, closures in defaults see the outer scope, not the body's vars.
var x = 'outside';
var probeParams, probeBody;
((_ = probeParams = function() { return x; }) => { var x = 'inside'; probeBody = function() { return x; }; })();
print(probeParams(), probeBody());
function f(a = 1, b) { var a; var c = a + 1; function g() { return c; } return [a, c, g()]; }
print(f(), f(5));
function h(a = 2) { let y = a * 2; return y; }
print(h());
try { (function(x = y, y) {})(); } catch (e) { print(e.name) } print((function(a = 1, {b} = {b: 2}, ...r) { a++; return [a, b, r]; })(undefined, undefined, 3, 4))
