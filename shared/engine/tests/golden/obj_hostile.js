// Hostile inputs for Object/Function/Error/Symbol/Reflect/global functions: errors, never crashes.
function attempt(label, fn) {
  try { var r = fn(); print(label, 'ok', typeof r); } catch (e) { print(label, e && e.name); }
}
attempt('bind chain', function () { var f = function () { return 1; }; for (var i = 0; i < 100000; i++) f = f.bind(null); return f(); });
attempt('apply huge length', function () { return Math.max.apply(null, { length: 4294967295 }); });
attempt('reflect huge length', function () { return Reflect.apply(Math.max, null, { length: 1e15 }); });
attempt('apply getter throws', function () { return Math.max.apply(null, { length: 2, get 1() { throw new EvalError('x'); } }); });
attempt('huge Function', function () { var s = 'x'; for (var i = 0; i < 26; i++) s += s; return Function(s); });
attempt('deep Function', function () { var s = ''; for (var i = 0; i < 5000; i++) s += '('; return Function(s); });
attempt('injected params', function () { return Function('a) { }; (function(b', 'return 1'); });
attempt('injected body', function () { return Function('}; print("escaped"); {'); });
attempt('param toString throws', function () { return Function({ toString: function () { throw new URIError('p'); } }, ''); });
attempt('cyclic proto', function () { var a = {}, b = Object.create(a); return Object.setPrototypeOf(a, b); });
attempt('cyclic __proto__', function () { var a = {}, b = Object.create(a); a.__proto__ = b; });
attempt('defineProperties getter throws', function () { return Object.defineProperties({}, { get a() { throw new RangeError('g'); } }); });
attempt('bad descriptor', function () { return Object.defineProperty({}, 'x', { get: 1 }); });
attempt('descriptor is primitive', function () { return Object.defineProperty({}, 'x', 1); });
attempt('assign to frozen', function () { return Object.assign(Object.freeze({ a: 1 }), { a: 2 }); });
attempt('assign getter deletes', function () {
  var src = { get a() { delete this.b; return 1; }, b: 2, c: 3 };
  var t = Object.assign({}, src);
  return Object.keys(t).length === 2 ? 'ok' : undefined;
});
attempt('toStringTag getter throws', function () { return Object.prototype.toString.call({ get [Symbol.toStringTag]() { throw new SyntaxError('t'); } }); });
attempt('fromEntries bad entry', function () { return Object.fromEntries([1]); });
attempt('fromEntries null', function () { return Object.fromEntries(null); });
attempt('groupBy bad callback', function () { return Object.groupBy([1], 5); });
attempt('huge error message', function () { var s = 'm'; for (var i = 0; i < 22; i++) s += s; var e = new Error(s); return e.message.length === s.length ? 'ok' : undefined; });
attempt('error message toString throws', function () { return new Error({ toString: function () { throw new TypeError('m'); } }); });
attempt('symbol to string', function () { return Symbol('a') + 'b'; });
attempt('symbol to number', function () { return +Symbol('a'); });
attempt('Symbol.for many', function () { for (var i = 0; i < 2000; i++) Symbol.for('k' + (i % 50)); return Symbol.keyFor(Symbol.for('k7')); });
attempt('decode truncated', function () { return decodeURIComponent('%E2%82'); });
attempt('encode big', function () { var s = '\xff'; for (var i = 0; i < 23; i++) s += s; return encodeURIComponent(s); });
attempt('atob garbage', function () { return atob('\xff\xfe'); });
attempt('btoa big', function () { var s = 'abc'; for (var i = 0; i < 22; i++) s += s; return btoa(s); });
attempt('call non-callable', function () { return Function.prototype.call.call({}); });
attempt('bind non-callable', function () { return Function.prototype.bind.call(1); });
attempt('construct non-constructor', function () { return Reflect.construct(function () {}, [], Math.max); });
attempt('Error.prototype.toString on primitive', function () { return Error.prototype.toString.call('x'); });
attempt('freeze huge array', function () { var a = []; for (var i = 0; i < 10000; i++) a.push(i); Object.freeze(a); return Object.isFrozen(a); });
print('done');
