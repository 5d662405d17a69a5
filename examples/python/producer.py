"""The tutorial's producer: bootstrap_servers, a JSON value_serializer and Faker data.

Example: Single Broker - 2 Partitions. With no key and no partition, kafka-python's default partitioner
picks a partition at random among the available ones, so messages land in both partitions.
"""
from faker import Faker
from kafka import KafkaProducer

from common import BOOTSTRAP, COUNT, emit, fake_user, json_serializer, topic

TOPIC = topic("registered_user")

producer = KafkaProducer(bootstrap_servers=BOOTSTRAP, value_serializer=json_serializer)
faker = Faker()
for n in range(COUNT):
    meta = producer.send(TOPIC, fake_user(faker, n)).get(timeout=30)
    emit("sent", topic=meta.topic, partition=meta.partition, offset=meta.offset, seq=n)
producer.flush()
producer.close()
