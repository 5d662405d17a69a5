"""Shared settings for the tutorial's examples: where the brokers are and how records are shown.

Every script prints one JSON line per record it sends or reads, so test/interop can check that each
message arrived exactly where the tutorial says it should.
"""
import json
import os
import sys

BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP", "localhost:9092").split(",")
COUNT = int(os.environ.get("COUNT", "10"))


def topic(default):
    return os.environ.get("TOPIC", default)


def emit(kind, **fields):
    print(json.dumps({"event": kind, **fields}), flush=True)


def json_serializer(data):
    return json.dumps(data).encode("utf-8")


def json_deserializer(data):
    return json.loads(data.decode("utf-8"))


def fake_user(faker, n):
    # The tutorial's producer sends Faker data; the sequence number makes each message identifiable.
    return {"seq": n, "name": faker.name(), "address": faker.address(), "created_at": faker.year()}


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)
