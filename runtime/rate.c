/* rate.c: backpressure (lang/SPEC.md §20): the rate estimator, Spark's
 * PIDRateEstimator, and the token bucket that holds a receiver to a rate.
 *
 * The estimator runs on the scheduler thread after each batch, one per
 * source: from how many of the source's records the batch had, how long it
 * took and how late it started, it estimates the rate the pipeline
 * sustains.  With Spark's gains (proportional 1, integral 0.2, derivative
 * 0) the new rate is the batch's processing rate, less a fifth of the
 * records the scheduling delay stands for (so that a backlog drains), and
 * never below 100 records/s.  Unlike Spark, the first batch's processing
 * rate is used at once (Spark waits for a second batch): under overload
 * from the start, that is one batch of unbounded input fewer.
 *
 * A bucket belongs to the one receiver thread that takes from it. */
#include "internal.h"

#define DS__PID_P 1.0
#define DS__PID_I 0.2
#define DS__PID_D 0.0
#define DS__PID_MIN_RATE 100.0

void ds__pid_init(ds__pid *p, int64_t batch_ms)
{
	memset(p, 0, sizeof *p);
	p->first = true;
	p->latest_time = INT64_MIN;
	p->batch_ms = batch_ms;
}

double ds__pid_compute(ds__pid *p, int64_t time_ms, int64_t elements, double processing_ms, int64_t sched_delay_ms)
{
	if (time_ms <= p->latest_time || elements <= 0 || processing_ms <= 0)
		return 0;
	double since = p->latest_time == INT64_MIN ? 1.0 : (double)(time_ms - p->latest_time) / 1000.0;
	double rate = (double)elements / processing_ms * 1000.0; /* what this batch sustained */
	double error = p->latest_rate - rate;
	/* the records the delay stands for, per second of batch interval */
	double hist = (double)(sched_delay_ms > 0 ? sched_delay_ms : 0) * rate / (double)p->batch_ms;
	double derr = (error - p->latest_error) / since;
	double next = p->latest_rate - DS__PID_P * error - DS__PID_I * hist - DS__PID_D * derr;
	if (next < DS__PID_MIN_RATE)
		next = DS__PID_MIN_RATE;
	p->latest_time = time_ms;
	if (p->first) {
		p->latest_rate = rate;
		p->latest_error = 0;
		p->first = false;
		return rate;
	}
	p->latest_rate = next;
	p->latest_error = error;
	return next;
}

void ds__bucket_set(ds__bucket *b, double rate, int64_t burst_ms, int64_t now_us)
{
	if (rate == b->rate)
		return;
	bool was_free = b->rate == 0;
	b->rate = rate;
	b->burst = rate * (double)burst_ms / 1000.0;
	if (b->burst < 1)
		b->burst = 1;
	if (rate == 0) {
		b->tokens = 0;
	} else if (was_free) { /* a limit from now on: a full bucket to start */
		b->tokens = b->burst;
		b->at_us = now_us;
	} else if (b->tokens > b->burst) {
		b->tokens = b->burst;
	}
}

double ds__bucket_avail(ds__bucket *b, int64_t now_us)
{
	if (b->rate == 0)
		return 1e18;
	if (now_us > b->at_us) {
		b->tokens += b->rate * (double)(now_us - b->at_us) / 1e6;
		if (b->tokens > b->burst)
			b->tokens = b->burst;
		b->at_us = now_us;
	}
	return b->tokens;
}

void ds__bucket_take(ds__bucket *b, double n)
{
	if (b->rate != 0)
		b->tokens -= n;
}

int64_t ds__bucket_wait_us(const ds__bucket *b, double n)
{
	if (b->rate == 0 || b->tokens >= n)
		return 0;
	return (int64_t)((n - b->tokens) / b->rate * 1e6) + 1;
}
