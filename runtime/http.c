/* http.c: --http HOST:PORT (not yet written: a stub that refuses). */
#include "internal.h"

#include <errno.h>

int ds__http_start(ds__http **h, const char *hostport, const ds_rt *rt)
{
	*h = NULL;
	ds__msg(rt->cmd, "--http %s: not supported yet", hostport);
	return -ENOSYS;
}

void ds__http_batch(ds__http *h, const ds__batch_metrics *m, const ds__src_obs *src)
{
	(void)h, (void)m, (void)src;
}

void ds__http_stop(ds__http *h) { (void)h; }
