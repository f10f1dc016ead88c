// Completion values of statements, as eval and the REPL report them.
print(eval('1; if (false) 2;'), eval('3; if (true) 4;'), eval('5; while (false);'), eval('6; do { 7; break; } while (false)'));
print(eval('8; try { 9 } finally { 10 }'), eval('11; switch (1) { case 1: 12 }'), eval('13; var v = 14;'), eval('15; {}'));
