/* kafka.h: `dstreamc kafka`, Kafka without installing Kafka (see kafka.c). */
#ifndef DS_KAFKA_H
#define DS_KAFKA_H

/* argv[1] is "kafka"; its subcommand and options follow.  Runs librdkafka's
 * mock cluster, or produces lines to a topic, or consumes a topic to stdout,
 * and returns the exit status: 0 done, 1 a Kafka failure (or a dstreamc built
 * without librdkafka), 2 a bad command line or an unreadable input file. */
int kafka_main(int argc, char **argv);

#endif
