// Object constructor, statics and Object.prototype.
var o = { a: 1, b: 2 };
print(Object.keys(o), Object.values(o), Object.entries(o));
print(Object.keys('ab'), Object.keys([5, , 7]), Object.values({}));
print(typeof Object(1), Object(null) instanceof Object, Object(o) === o, new Object('s').length);
var p = Object.create({ inherited: 3 }, { own: { value: 5, enumerable: true } });
print(p.own, p.inherited, Object.keys(p), Object.getOwnPropertyDescriptor(p, 'own'));
print(Object.create(null).toString, Object.getPrototypeOf(Object.create(null)));
try { Object.create(1); } catch (e) { print(e.name); }
// descriptors
var d = {};
Object.defineProperty(d, 'x', { get: function () { return 42; }, configurable: true });
print(d.x, Object.getOwnPropertyDescriptor(d, 'x').set, Object.keys(d));
try { Object.defineProperty(d, 'y', { get: function () {}, value: 1 }); } catch (e) { print(e.name); }
try { Object.defineProperty(Object.freeze({ z: 1 }), 'z', { value: 2 }); } catch (e) { print(e.name); }
print(Object.getOwnPropertyDescriptors({ v: 1 }));
// integrity levels
var f = Object.freeze({ a: 1, nested: { b: 2 } });
f.a = 9; f.nested.b = 3; f.c = 1;
print(f.a, f.nested.b, f.c, Object.isFrozen(f), Object.isSealed(f), Object.isExtensible(f));
var s = Object.seal({ a: 1 });
s.a = 2; delete s.a;
print(s.a, Object.isSealed(s), Object.isFrozen(s));
print(Object.isFrozen(1), Object.isExtensible(1), Object.freeze(1), Object.isFrozen(Object.preventExtensions({})));
// assign, fromEntries, is, hasOwn
var sym = Symbol('k');
var src = { a: 1 }; src[sym] = 'sym';
var t = Object.assign({ z: 0 }, src, null, undefined, 'hi');
print(t.z, t.a, t[sym], t[0], t[1]);
print(Object.fromEntries([['a', 1], ['b', [2]]]), Object.is(NaN, NaN), Object.is(0, -0), Object.is('a', 'a'));
print(Object.hasOwn({ q: 1 }, 'q'), Object.hasOwn({}, 'toString'));
print(Object.groupBy([1, 2, 3, 4, 5], function (x) { return x % 2 ? 'odd' : 'even'; }));
// names, symbols, prototypes
print(Object.getOwnPropertyNames({ a: 1, b: 2 }), Object.getOwnPropertySymbols(src).length);
var proto = { hello: function () { return 'hi'; } };
var child = Object.setPrototypeOf({}, proto);
print(child.hello(), Object.getPrototypeOf(child) === proto, proto.isPrototypeOf(child));
try { Object.setPrototypeOf(proto, child); } catch (e) { print(e.name); }
try { Object.setPrototypeOf(Object.prototype, {}); } catch (e) { print(e.name); }
print(({}).__proto__ === Object.prototype, ({ __proto__: null }).toString);
var viaProto = {}; viaProto.__proto__ = proto; print(viaProto.hello());
// Object.prototype methods
print(Object.prototype.hasOwnProperty.call({ a: 1 }, 'a'), ({}).hasOwnProperty('toString'));
print(({ a: 1 }).propertyIsEnumerable('a'), [].propertyIsEnumerable('length'));
var ts = Object.prototype.toString;
print(ts.call([]), ts.call(null), ts.call(undefined), ts.call(1), ts.call('s'), ts.call(true));
print(ts.call(function () {}), ts.call(new Error('x')), ts.call(Symbol()), ts.call({ [Symbol.toStringTag]: 'Custom' }));
(function () { print(ts.call(arguments)); })();
print(({}).toLocaleString(), ({}).valueOf() !== null);
var legacy = {};
legacy.__defineGetter__('g', function () { return 'got'; });
legacy.__defineSetter__('g', function (v) { this._g = v; });
legacy.g = 5;
print(legacy.g, legacy._g, typeof legacy.__lookupGetter__('g'), typeof legacy.__lookupSetter__('g'), legacy.__lookupGetter__('nope'));
// Boolean
print(Boolean(''), Boolean('x'), new Boolean(false) ? 'obj-truthy' : 'no', new Boolean(true).valueOf(), false.toString());
try { Boolean.prototype.toString.call(1); } catch (e) { print(e.name); }
class Sub extends Object { constructor() { super(); this.k = 1; } }
print(new Sub().k, new Sub() instanceof Sub, Object.length, Object.name, Object.keys.length, Object.assign.length);
