/*
 * Jitter for retries and poll schedules: xorshift64*, cheap and
 * uncorrelated between processes, not secret.
 */
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "ia.h"

/* A seed that differs between processes started at the same moment. */
uint64_t
ia_rand_seed(void)
{
	uint64_t	 x;

	x = (uint64_t)getpid() << 32 ^ (uint64_t)(ia_time_now() * 1e6) ^
	    (uint64_t)time(NULL) ^ 0x9e3779b97f4a7c15ULL;
	return x != 0 ? x : 1;
}

/* The next number in [0, 1). */
double
ia_rand_next(uint64_t *state)
{
	uint64_t	 x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return (double)((x * 0x2545f4914f6cdd1dULL) >> 11) * 0x1.0p-53;
}
