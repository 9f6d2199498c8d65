/* redis_out.c: saveToRedis, the Redis sink (lang/SPEC.md §12.4): to come. */
#include "internal.h"

#include <errno.h>

int ds_redis_open(ds_rt *rt, int out)
{
	ds__msg(rt->cmd, "%s: saveToRedis: not implemented yet", rt->out[out].desc->loc);
	return -ENOSYS;
}

int ds_redis_commit(ds_rt *rt, int out, int64_t t)
{
	(void)t;
	return ds_redis_open(rt, out);
}
