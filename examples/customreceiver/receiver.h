/* receiver.h: the seeds' CustomReceiver, in C (see README.md). */
#include <dstream/rt.h>

/* Connects to $RECEIVER_HOST:$RECEIVER_PORT (default localhost:9999) and
 * stores every line it reads until the program stops; returns an error
 * when it cannot connect or the server goes away, so that dstream restarts
 * it with back-off (Spark's restart("Trying to connect again")). */
int receive(ds_receiver *r);
