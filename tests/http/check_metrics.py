#!/usr/bin/python3
"""check_metrics.py SCRAPE1 SCRAPE2 API_JSON APP WORKERS VERSION HASH T0 T1

metrics.sh's checks of two scrapes of /metrics (in that order, a few
batches apart) and of /api/batches (fetched after them), for common.bash's
program: batch k (at k s) holds the numbers 1..k and, when k is even, one
bad line.  T0 and T1 (epoch s) bracket the program's start.  The scrapes
are parsed by prometheus_client's own parser (Debian's
python3-prometheus-client).  Prints each failed check; exits 1 if any.
"""
import json
import math
import re
import sys

from prometheus_client.parser import text_string_to_metric_families

s1_path, s2_path, api_path, APP, WORKERS, VERSION, HASH, T0, T1 = sys.argv[1:]
WORKERS, T0, T1 = int(WORKERS), float(T0), float(T1)
failed = []


def check(ok, what):
    if not ok:
        failed.append(what)
    return ok


def rec_in(k): return k + (k % 2 == 0)
def rec_out(k): return k
def rec_bad(k): return int(k % 2 == 0)


# name as the parser gives it (a counter's without _total): type
FAMILIES = {
    'dstream_info': 'gauge',
    'dstream_batches': 'counter',
    'dstream_records_in': 'counter',
    'dstream_records_out': 'counter',
    'dstream_bad_records': 'counter',
    'dstream_kafka_errors': 'counter',
    'dstream_db_errors': 'counter',
    'dstream_checkpoints': 'counter',
    'dstream_checkpoint_failures': 'counter',
    'dstream_processing_seconds': 'histogram',
    'dstream_scheduling_delay_seconds': 'histogram',
    'dstream_checkpoint_seconds': 'histogram',
    'dstream_queued_bytes': 'gauge',
    'dstream_rate_limit_records_per_second': 'gauge',
    'dstream_workers': 'gauge',
    'dstream_batch_interval_seconds': 'gauge',
    'dstream_last_batch_time_seconds': 'gauge',
    'dstream_start_time_seconds': 'gauge',
    'dstream_source_records': 'counter',
    'dstream_source_errors': 'counter',
    'dstream_source_queued_bytes': 'gauge',
    'dstream_source_rate_limit_records_per_second': 'gauge',
    'dstream_source_state': 'gauge',
}
PER_SOURCE = [f for f in FAMILIES if f.startswith('dstream_source_')]


def parse(path):
    text = open(path, encoding='utf-8').read()
    fams = {}
    for f in text_string_to_metric_families(text):
        check(f.name not in fams, f'{path}: family {f.name} twice')
        fams[f.name] = f
    check(set(fams) == set(FAMILIES),
          f'{path}: families {sorted(fams)}, expected {sorted(FAMILIES)}')
    for name, f in fams.items():
        check(f.type == FAMILIES.get(name), f'{path}: {name} is a {f.type}, expected {FAMILIES.get(name)}')
        check(bool(f.documentation), f'{path}: {name} has no HELP')
        check(len(f.samples) > 0, f'{path}: {name} has no sample')
        for s in f.samples:
            check(s.labels.get('app') == APP, f'{path}: {s.name} has app={s.labels.get("app")!r}, expected {APP!r}')
    # every HELP and TYPE line names a family that has samples
    for line in text.splitlines():
        m = re.match(r'# (HELP|TYPE) (\S+)', line)
        if m:
            check(re.search(r'^' + re.escape(m.group(2)) + r'(_bucket|_sum|_count)?\{', text, re.M),
                  f'{path}: {m.group(1)} {m.group(2)} has no sample')
    return fams


def value(fams, fam, sample=None):
    """The one sample of fam named sample (default: the family's name)."""
    f = fams.get(fam)
    if f is None:
        return math.nan
    name = sample or (fam + '_total' if f.type == 'counter' else fam)
    v = [s.value for s in f.samples if s.name == name]
    check(len(v) == 1, f'{fam}: {len(v)} samples named {name}, expected 1')
    return v[0] if v else math.nan


def check_scrape(path, fams):
    n = int(value(fams, 'dstream_batches'))
    ks = range(1, n + 1)
    check(value(fams, 'dstream_records_in') == sum(map(rec_in, ks)),
          f'{path}: records_in_total {value(fams, "dstream_records_in")} after {n} batches, expected {sum(map(rec_in, ks))}')
    check(value(fams, 'dstream_records_out') == sum(map(rec_out, ks)),
          f'{path}: records_out_total {value(fams, "dstream_records_out")} after {n} batches, expected {sum(map(rec_out, ks))}')
    check(value(fams, 'dstream_bad_records') == sum(map(rec_bad, ks)),
          f'{path}: bad_records_total {value(fams, "dstream_bad_records")} after {n} batches, expected {sum(map(rec_bad, ks))}')
    for fam in ('dstream_kafka_errors', 'dstream_db_errors', 'dstream_checkpoints', 'dstream_checkpoint_failures',
                'dstream_queued_bytes', 'dstream_rate_limit_records_per_second'):
        check(value(fams, fam) == 0, f'{path}: {fam} is {value(fams, fam)}, expected 0')
    check(value(fams, 'dstream_workers') == WORKERS, f'{path}: dstream_workers {value(fams, "dstream_workers")}')
    check(value(fams, 'dstream_batch_interval_seconds') == 1.0, f'{path}: batch interval')
    check(value(fams, 'dstream_last_batch_time_seconds') == float(n),
          f'{path}: last batch time {value(fams, "dstream_last_batch_time_seconds")}, expected {n} (manual clock)')
    start = value(fams, 'dstream_start_time_seconds')
    check(T0 - 1 <= start <= T1 + 1, f'{path}: start time {start} not in [{T0}, {T1}]')

    info = fams['dstream_info'].samples if 'dstream_info' in fams else []
    check(len(info) == 1 and info[0].value == 1 and info[0].labels.get('version') == VERSION and
          info[0].labels.get('source_hash') == HASH,
          f'{path}: dstream_info {info}, expected version={VERSION} source_hash={HASH}')

    # histograms: cumulative buckets from 1 ms to 60 s and +Inf; +Inf = count
    for fam, count in (('dstream_processing_seconds', n), ('dstream_scheduling_delay_seconds', n),
                       ('dstream_checkpoint_seconds', 0)):
        f = fams.get(fam)
        if f is None:
            continue
        buckets = [(float(s.labels['le']), s.value) for s in f.samples if s.name == fam + '_bucket']
        les = [le for le, _ in buckets]
        check(les == sorted(les) and les[0] == 0.001 and les[-2] == 60 and les[-1] == math.inf,
              f'{path}: {fam} buckets {les}')
        check(all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])), f'{path}: {fam} buckets not cumulative')
        check(buckets[-1][1] == value(fams, fam, fam + '_count') == count,
              f'{path}: {fam} +Inf bucket {buckets[-1][1]}, count {value(fams, fam, fam + "_count")}, expected {count}')
        check(value(fams, fam, fam + '_sum') >= 0, f'{path}: {fam}_sum < 0')

    # the one source
    for fam in PER_SOURCE:
        for s in fams[fam].samples if fam in fams else []:
            check(s.labels.get('source') == '0' and s.labels.get('kind') == 'queueStream' and
                  re.fullmatch(r'status\.dstream:3:\d+', s.labels.get('loc', '')),
                  f'{path}: {s.name} labels {s.labels}')
        check(fam in fams and len(fams[fam].samples) == 1, f'{path}: {fam}: not one sample')
    st = fams['dstream_source_state'].samples if 'dstream_source_state' in fams else []
    check(st and st[0].labels.get('state') == '-' and st[0].value == 1, f'{path}: source state {st}')
    # (the scheduler does not count a queueStream's records per source yet: at most the total)
    check(value(fams, 'dstream_source_records') <= value(fams, 'dstream_records_in'), f'{path}: source records')
    return n


f1, f2 = parse(s1_path), parse(s2_path)
n1, n2 = check_scrape(s1_path, f1), check_scrape(s2_path, f2)
check(n1 >= 2 and n2 >= n1 + 3, f'batches_total {n1} then {n2}: expected 2 or more, then 3 or more batches later')
# what the batches between the scrapes imply, exactly
between = range(n1 + 1, n2 + 1)
for fam, per in (('dstream_records_in', rec_in), ('dstream_records_out', rec_out), ('dstream_bad_records', rec_bad)):
    d = value(f2, fam) - value(f1, fam)
    check(d == sum(map(per, between)), f'{fam}_total rose by {d} over batches {n1 + 1}..{n2}, expected {sum(map(per, between))}')
# every counter, bucket and count is monotonic
for fam, f in f1.items():
    if f.type not in ('counter', 'histogram') or fam not in f2:
        continue
    later = {(s.name, tuple(sorted(s.labels.items()))): s.value for s in f2[fam].samples}
    for s in f.samples:
        k = (s.name, tuple(sorted(s.labels.items())))
        check(k in later and later[k] >= s.value, f'{s.name}{s.labels}: {s.value}, then {later.get(k)}')

# /api/batches, fetched after the second scrape
api = json.load(open(api_path, encoding='utf-8'))
check(api.get('app') == APP and api.get('version') == VERSION and api.get('source_hash') == HASH,
      f'api: app/version/source_hash {api.get("app")!r} {api.get("version")!r} {api.get("source_hash")!r}')
check(api.get('batch_ms') == 1000 and api.get('workers') == WORKERS and api.get('backpressure') is True,
      f'api: batch_ms {api.get("batch_ms")}, workers {api.get("workers")}, backpressure {api.get("backpressure")}')
check(abs(api.get('start_ms', 0) / 1000 - value(f2, 'dstream_start_time_seconds')) < 0.002, 'api: start_ms')
check('stage 1' in api.get('explain', '') and 'fused:' in api.get('explain', ''), f'api: explain {api.get("explain")!r}')
src = api.get('sources', [])
SRC_KEYS = {'index', 'kind', 'what', 'loc', 'state', 'records_total', 'errors_total', 'queued_bytes', 'rate_limit', 'records'}
check(len(src) == 1 and set(src[0]) == SRC_KEYS and src[0]['index'] == 0 and src[0]['kind'] == 'queueStream' and
      src[0]['what'] == 'in.txt' and src[0]['state'] == '-' and
      src[0]['loc'] == f2['dstream_source_state'].samples[0].labels['loc'],
      f'api: sources {src}')
bs = api.get('batches', [])
BATCH_KEYS = {'time_ms', 'records_in', 'records_out', 'bad_records', 'scheduling_delay_ms', 'processing_ms',
              'total_delay_ms', 'checkpoint_ms', 'queued_bytes', 'rate_limit'}
check(n2 <= len(bs) <= 1000, f'api: {len(bs)} batches, after a scrape that counted {n2}')
for i, b in enumerate(bs):
    k = i + 1
    if not check(set(b) == BATCH_KEYS, f'api: batch {k} has keys {sorted(b)}'):
        break
    if not check(b['time_ms'] == 1000 * k and b['records_in'] == rec_in(k) and b['records_out'] == rec_out(k) and
                 b['bad_records'] == rec_bad(k) and b['queued_bytes'] == 0 and b['rate_limit'] == 0 and
                 abs(b['total_delay_ms'] - b['scheduling_delay_ms'] - b['processing_ms']) < 0.002,
                 f'api: batch {k} is {b}'):
        break

for f in failed:
    print('FAIL:', f)
print(f'checked: scrapes after {n1} and {n2} batches, /api/batches with {len(bs)}; {len(failed)} failed')
sys.exit(1 if failed else 0)
