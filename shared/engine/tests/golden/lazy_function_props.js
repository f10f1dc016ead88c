// Functions keep `name` and `length` lazily (natives and closures): every way of looking at
// them sees the same properties, in the same order, as if they had been made eagerly.
print(Math.max.name, Math.max.length, Array.prototype.push.length);
print(Object.getOwnPropertyNames(Math.max).join(','));
print(Object.getOwnPropertyNames(function f(a, b) {}).join(','));
print(Object.getOwnPropertyNames(Array).slice(0, 3).join(','));
// Inherited through an ordinary object.
print(Object.create(Math.max).name, Object.create(Math.max).length);
print(Object.create(function foo(a, b, c) {}).name, Object.create(function foo(a, b, c) {}).length);
// Descriptors.
let d = Object.getOwnPropertyDescriptor(Math.min, 'name');
print(d.value, d.writable, d.enumerable, d.configurable);
// Deleting and redefining.
delete Math.abs.name;
print(JSON.stringify(Math.abs.name), Object.getOwnPropertyNames(Math.abs).join(','));
Object.defineProperty(Math.floor, 'name', { value: 'down' });
print(Math.floor.name, Math.floor.length);
// Natives are functions everywhere.
print(typeof Math.max, Math.max instanceof Function, Object.prototype.toString.call(Math.max));
print(Function.prototype.toString.call(Math.max));
print(JSON.stringify({ f: Math.max, n: 1 }));
print(Math.max.call(null, 1, 5, 3), Math.max.apply(null, [7, 2]), Math.max.bind(null, 9)(4));
print(Math.max.bind(null).name, Math.max.bind(null, 1).length);
// `hasOwnProperty` and `in` without reading the value.
print(Math.round.hasOwnProperty('name'), 'length' in Math.ceil, Math.sqrt.hasOwnProperty('x'));
// Native constructors keep their prototype first after length and name.
print(Object.getOwnPropertyNames(Map).slice(0, 3).join(','), new Map([[1, 2]]).get(1));
class Sub extends Map {}
print(new Sub([[3, 4]]).get(3), Sub.name, Object.getPrototypeOf(Sub) === Map);
