/* sum.h: the period of i*i mod 7. */
static const unsigned long r[7] = {0, 1, 4, 2, 2, 4, 1};
