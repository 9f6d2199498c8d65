/* gen.c: deterministic input for W3, the Yahoo Streaming Benchmark query
 * (bench/ysb/ysb.dstream).
 *
 *   gen CAMPAIGNS_FILE EVENTS_FILE EVENTS_PER_BATCH BATCHES [SEED]
 *
 * CAMPAIGNS_FILE: the static ad-to-campaign table, 1,000 campaigns of 10
 * ads each, one line "AD_ID CAMPAIGN_ID" per ad (10,000 lines).
 * EVENTS_FILE: BATCHES batches of EVENTS_PER_BATCH ad events, each batch
 * closed by "---", one event a line, the YSB event's fields in order,
 * separated by single spaces:
 *   user_id page_id ad_id ad_type event_type event_time ip_address
 * ids are 36-character UUIDs as in YSB (users and pages from pools of 100
 * each, ads uniform over the 10,000), ad_type one of 5, event_type uniform
 * over view, click and purchase (so a third are views), event_time the
 * batch's time in ms plus an offset within the second.  The PRNG is
 * xoshiro256** seeded through splitmix64: the same arguments give the same
 * files on every machine. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../prng.h"

enum { CAMPAIGNS = 1000, ADS_PER = 10, ADS = CAMPAIGNS * ADS_PER, POOL = 100 };

static void uuid(char out[37])
{
	static const char hex[] = "0123456789abcdef";
	uint64_t a = prng_next(), b = prng_next();
	for (int i = 0, j = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			out[i] = '-';
			continue;
		}
		uint64_t *w = j < 16 ? &a : &b;
		out[i] = hex[*w & 15];
		*w >>= 4;
		j++;
	}
	out[36] = 0;
}

int main(int argc, char **argv)
{
	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: gen CAMPAIGNS_FILE EVENTS_FILE EVENTS_PER_BATCH BATCHES [SEED]\n");
		return 2;
	}
	long per = atol(argv[3]), batches = atol(argv[4]);
	uint64_t seed = argc > 5 ? strtoull(argv[5], NULL, 10) : 7;
	if (per < 0 || batches < 0) {
		fprintf(stderr, "gen: bad arguments\n");
		return 2;
	}
	prng_seed(seed);
	static char ads[ADS][37], camps[CAMPAIGNS][37], users[POOL][37], pages[POOL][37];
	for (int c = 0; c < CAMPAIGNS; c++)
		uuid(camps[c]);
	for (int a = 0; a < ADS; a++)
		uuid(ads[a]);
	for (int i = 0; i < POOL; i++) {
		uuid(users[i]);
		uuid(pages[i]);
	}
	FILE *f = fopen(argv[1], "w");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	for (int a = 0; a < ADS; a++)
		fprintf(f, "%s %s\n", ads[a], camps[a / ADS_PER]);
	if (fclose(f) != 0) {
		perror(argv[1]);
		return 1;
	}
	static const char *const ad_types[] = {"banner", "modal", "sponsored-search", "mail", "mobile"};
	static const char *const ev_types[] = {"view", "click", "purchase"};
	f = fopen(argv[2], "w");
	if (!f) {
		perror(argv[2]);
		return 1;
	}
	static char buf[1 << 16];
	setvbuf(f, buf, _IOFBF, sizeof buf);
	for (long b = 1; b <= batches; b++) {
		for (long r = 0; r < per; r++)
			fprintf(f, "%s %s %s %s %s %ld 1.2.3.%u\n", users[prng_below(POOL)], pages[prng_below(POOL)],
			        ads[prng_below(ADS)], ad_types[prng_below(5)], ev_types[prng_below(3)], b * 1000 - 1000 + (long)prng_below(1000),
			        prng_below(256));
		fputs("---\n", f);
	}
	if (fclose(f) != 0) {
		perror(argv[2]);
		return 1;
	}
	return 0;
}
