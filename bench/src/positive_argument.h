// A count given on a benchmark program's command line.
#pragma once

#include <errno.h>
#include <stdlib.h>

// The value of `text` when it is a decimal number from 1 to `max` written alone (no sign, no
// space, nothing after it); -1 otherwise. atol(3) would take "10k" as 10 and "x" as 0.
static inline long PositiveArgument(const char* text, long max) {
  if (text[0] < '0' || text[0] > '9') return -1;
  char* end = NULL;
  errno = 0;
  long value = strtol(text, &end, 10);
  if (errno != 0 || *end != '\0' || value < 1 || value > max) return -1;
  return value;
}
