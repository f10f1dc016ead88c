print(1, 2, 3);
console.log(1, 2, 3);
print("a" + "b", true, null, undefined);
