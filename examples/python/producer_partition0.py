"""Single Broker - 2 Partitions, every message sent to partition 0 only: the producer names the partition."""
from faker import Faker
from kafka import KafkaProducer

from common import BOOTSTRAP, COUNT, emit, fake_user, json_serializer, topic

TOPIC = topic("registered_user")

producer = KafkaProducer(bootstrap_servers=BOOTSTRAP, value_serializer=json_serializer)
faker = Faker()
for n in range(COUNT):
    meta = producer.send(TOPIC, fake_user(faker, n), partition=0).get(timeout=30)
    emit("sent", topic=meta.topic, partition=meta.partition, offset=meta.offset, seq=n)
producer.flush()
producer.close()
