"""The tutorial's consumer: topic, bootstrap_servers and group_id.

With GROUP_ID unset the consumer has no group (kafka-python then assigns itself every partition and
commits nothing). Reads until it has seen COUNT records or IDLE_MS passes with nothing new.
"""
import os

from kafka import KafkaConsumer

from common import BOOTSTRAP, COUNT, emit, json_deserializer, topic

TOPIC = topic("registered_user")
GROUP_ID = os.environ.get("GROUP_ID") or None
IDLE_MS = int(os.environ.get("IDLE_MS", "10000"))

consumer = KafkaConsumer(
    TOPIC,
    bootstrap_servers=BOOTSTRAP,
    group_id=GROUP_ID,
    auto_offset_reset="earliest",
    value_deserializer=json_deserializer,
    consumer_timeout_ms=IDLE_MS,
)
seen = 0
for message in consumer:
    emit("received", topic=message.topic, partition=message.partition, offset=message.offset,
         seq=message.value["seq"], group=GROUP_ID)
    seen += 1
    if seen >= COUNT:
        break
if GROUP_ID:
    consumer.commit()
consumer.close()
