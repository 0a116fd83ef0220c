/* sum.h: nothing yet. */
