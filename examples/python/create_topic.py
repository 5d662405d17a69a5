"""Creates the tutorial's topic with the admin client: PARTITIONS and REPLICATION (default 2 and 1)."""
import os

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from common import BOOTSTRAP, emit, topic

TOPIC = topic("registered_user")
PARTITIONS = int(os.environ.get("PARTITIONS", "2"))
REPLICATION = int(os.environ.get("REPLICATION", "1"))

admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP)
try:
    admin.create_topics([NewTopic(TOPIC, num_partitions=PARTITIONS, replication_factor=REPLICATION)])
    emit("created", topic=TOPIC, partitions=PARTITIONS, replication=REPLICATION)
except TopicAlreadyExistsError:
    emit("exists", topic=TOPIC)
admin.close()
