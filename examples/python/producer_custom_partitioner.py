"""A custom partitioner, called by kafka-python with (key_bytes, all_partitions, available_partitions).

This one sends every message to partition 0, as the tutorial's does; the second half of the run uses a
keyed partitioner that picks among the available partitions by the key's last byte.
"""
from faker import Faker
from kafka import KafkaProducer

from common import BOOTSTRAP, COUNT, emit, fake_user, json_serializer, topic

TOPIC = topic("registered_user")


def always_zero(key_bytes, all_partitions, available_partitions):
    return 0


def by_last_key_byte(key_bytes, all_partitions, available_partitions):
    choices = available_partitions or all_partitions
    return choices[key_bytes[-1] % len(choices)]


faker = Faker()
for name, partitioner in (("always_zero", always_zero), ("by_last_key_byte", by_last_key_byte)):
    producer = KafkaProducer(
        bootstrap_servers=BOOTSTRAP, value_serializer=json_serializer, partitioner=partitioner
    )
    for n in range(COUNT):
        key = f"user-{n}".encode()
        meta = producer.send(TOPIC, fake_user(faker, n), key=key).get(timeout=30)
        emit("sent", partitioner=name, key=key.decode(), topic=meta.topic, partition=meta.partition,
             offset=meta.offset, seq=n)
    producer.flush()
    producer.close()
