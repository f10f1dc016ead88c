print("never printed: the whole script is parsed first");
let b = ;
