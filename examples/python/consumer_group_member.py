"""One member of a consumer group (run three of them for the tutorial's 3 consumers on 3 partitions).

Prints its assignment whenever the group rebalances, and every record it reads, until STOP_FILE exists or
IDLE_MS passes with nothing new.
"""
import os
import time

from kafka import KafkaConsumer

from common import BOOTSTRAP, emit, json_deserializer, topic

TOPIC = topic("registered_user")
GROUP_ID = os.environ.get("GROUP_ID", "registered_user_group")
MEMBER = os.environ.get("MEMBER", "c1")
IDLE_MS = int(os.environ.get("IDLE_MS", "20000"))
STOP_FILE = os.environ.get("STOP_FILE")

consumer = KafkaConsumer(
    TOPIC,
    bootstrap_servers=BOOTSTRAP,
    group_id=GROUP_ID,
    auto_offset_reset="earliest",
    value_deserializer=json_deserializer,
)
last_assignment = None
idle_since = time.monotonic()
while (time.monotonic() - idle_since) * 1000 < IDLE_MS:
    if STOP_FILE and os.path.exists(STOP_FILE):
        break
    batches = consumer.poll(timeout_ms=500)
    assignment = sorted(tp.partition for tp in consumer.assignment())
    if assignment != last_assignment:
        emit("assigned", member=MEMBER, partitions=assignment)
        last_assignment = assignment
    for tp, messages in batches.items():
        for message in messages:
            idle_since = time.monotonic()
            emit("received", member=MEMBER, partition=message.partition, offset=message.offset,
                 seq=message.value["seq"])
    if batches:
        consumer.commit()
consumer.close()
