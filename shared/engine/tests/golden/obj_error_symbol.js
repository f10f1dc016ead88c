// Error hierarchy and Symbol.
var kinds = [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError];
for (var i = 0; i < kinds.length; i++) {
  var K = kinds[i];
  var e = new K('msg' + i);
  var plain = K('called');
  print(K.name, K.length, e.name, e.message, String(e.toString()), e instanceof K, e instanceof Error,
    plain instanceof K, Object.getPrototypeOf(K) === (i ? Error : Function.prototype), typeof e.stack);
}
var noMsg = new Error();
print(noMsg.hasOwnProperty('message'), noMsg.message === '', noMsg.toString());
var withCause = new TypeError('outer', { cause: 'inner' });
print(withCause.cause, withCause.hasOwnProperty('cause'), new Error('x', {}).hasOwnProperty('cause'));
print(Object.getOwnPropertyDescriptor(withCause, 'message').enumerable, Object.keys(withCause).length);
print(Error.prototype.toString.call({ name: 'Custom', message: 'boom' }), Error.prototype.toString.call({}));
print(Error.prototype.toString.call({ name: '', message: 'only message' }), Error.prototype.toString.call({ name: 'OnlyName', message: '' }));
try { Error.prototype.toString.call(1); } catch (e) { print(e.name); }
print(new Error({ toString: function () { return 'converted'; } }).message);
class MyError extends RangeError { constructor(m) { super(m); this.name = 'MyError'; } }
var me = new MyError('mine');
print(me instanceof MyError, me instanceof RangeError, me.toString(), Object.prototype.toString.call(me));
try { undefinedVariable; } catch (e) { print(e.name, e instanceof ReferenceError); }
try { null.prop; } catch (e) { print(e.name, e.constructor === TypeError); }
var agg = new AggregateError([1, 2], 'many');
print(agg.name, agg.message, agg.errors, agg instanceof Error);
// Symbol
var s1 = Symbol('desc'), s2 = Symbol('desc'), s3 = Symbol();
print(typeof s1, s1 === s2, s1.toString(), s3.toString(), s1.description, s3.description);
print(Symbol.for('app') === Symbol.for('app'), Symbol.keyFor(Symbol.for('app')), Symbol.keyFor(s1));
try { new Symbol(); } catch (e) { print(e.name); }
try { Symbol.keyFor('x'); } catch (e) { print(e.name); }
try { s1 + ''; } catch (e) { print(e.name); }
var boxed = Object(s1);
print(typeof boxed, boxed instanceof Symbol, boxed.valueOf() === s1, boxed.description, boxed[Symbol.toPrimitive]() === s1);
print(Symbol.iterator.toString(), typeof Symbol.asyncIterator, Symbol.hasInstance.description, Symbol.prototype[Symbol.toStringTag]);
var o = {}; o[s1] = 1; o[s2] = 2;
print(o[s1], o[s2], Object.keys(o).length, Object.getOwnPropertySymbols(o).length);
print(Symbol.length, Symbol('x').constructor === Symbol, Object.getOwnPropertyDescriptor(Symbol, 'iterator').writable);
print(Symbol(undefined).description, Symbol(null).description, Symbol(12).description);
