// libFuzzer's driver, for a fuzz target that has its own `main` (SwiftPM gives every executable one).
// Defined by libFuzzer when linked with `-sanitize=fuzzer`; only the FUZZING builds call it.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
