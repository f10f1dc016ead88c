// Reflect and the global functions.
function F(a, b) { this.sum = a + b; }
print(Reflect.apply(Math.max, null, [1, 5, 3]), Reflect.construct(F, [1, 2]).sum);
function Other() {}
var c = Reflect.construct(F, [3, 4], Other);
print(c.sum, c instanceof Other, c instanceof F);
try { Reflect.construct(Math.max, []); } catch (e) { print(e.name); }
try { Reflect.apply(1, null, []); } catch (e) { print(e.name); }
var o = { a: 1 };
print(Reflect.defineProperty(o, 'b', { value: 2 }), Reflect.defineProperty(Object.freeze({}), 'x', { value: 1 }));
print(Reflect.deleteProperty(o, 'a'), Reflect.deleteProperty(o, 'b'), Reflect.has(o, 'b'), Reflect.has(o, 'toString'));
var getterObj = { get who() { return this.name; }, name: 'self' };
print(Reflect.get(getterObj, 'who'), Reflect.get(getterObj, 'who', { name: 'receiver' }), Reflect.get([10, 20], 1));
var target = {}, receiver = {};
print(Reflect.set(target, 'k', 1), target.k, Reflect.set(target, 'k', 2, receiver), target.k, receiver.k);
print(Reflect.set(Object.freeze({ k: 1 }), 'k', 2));
print(Reflect.getOwnPropertyDescriptor({ z: 1 }, 'z'), Reflect.getOwnPropertyDescriptor({}, 'z'));
print(Reflect.getPrototypeOf([]) === Array.prototype, Reflect.setPrototypeOf({}, null), Reflect.setPrototypeOf(Object.preventExtensions({}), {}));
var ne = {};
print(Reflect.isExtensible(ne), Reflect.preventExtensions(ne), Reflect.isExtensible(ne));
var keyed = { b: 1, a: 2, 1: 'one', 0: 'zero' }; keyed[Symbol.iterator] = 0;
print(Reflect.ownKeys(keyed).length, Reflect.ownKeys(keyed)[0], Reflect.ownKeys(keyed)[3]);
try { Reflect.get(1, 'x'); } catch (e) { print(e.name); }
print(Object.prototype.toString.call(Reflect), typeof Reflect, Reflect.apply.length, Reflect.construct.length);
// isNaN / isFinite
print(isNaN(NaN), isNaN('abc'), isNaN('12'), isNaN(undefined), isNaN(null));
print(isFinite(1), isFinite(Infinity), isFinite('1e3'), isFinite(NaN));
// URI functions
print(encodeURIComponent('a b&c=d/é?'), encodeURI('http://h/p a?q=1&r=é#frag'));
print(decodeURIComponent('a%20b%26c%3Dd%2F%C3%A9'), decodeURI('%3B%2F%3F%20x'), decodeURIComponent('%3B%2F'));
print(decodeURIComponent(encodeURIComponent('Шели ✓')) === 'Шели ✓');
var bad = ['%', '%4', '%zz', '%C3', '%C3%28', '%FF', '%E0%80%80', '%ED%A0%80'];
for (var i = 0; i < bad.length; i++) {
  try { decodeURIComponent(bad[i]); print('ok?', bad[i]); } catch (e) { print(bad[i], e.name); }
}
print(encodeURIComponent('\xff\x00'));
// base64 / hex
print(btoa(''), btoa('f'), btoa('fo'), btoa('foo'), btoa('foob'), btoa('\x00\xff\xfe'));
print(atob('Zm9vYg=='), atob('Zm9vYg'), atob(' Zm9v YmFy '), atob('') === '', atob(btoa('\x00\x01\xff')) === '\x00\x01\xff');
var badB64 = ['Zm9vY', '!!!!', 'Zm9=v', '='];
for (var i = 0; i < badB64.length; i++) {
  try { atob(badB64[i]); print('ok?', badB64[i]); } catch (e) { print('atob error', e.name); }
}
print(btoh('\x00\x01\xab\xff'), btoh('AZ'), btoh(''));
print(isNaN.length, encodeURI.length, atob.length, btoa.length, btoh.length);
