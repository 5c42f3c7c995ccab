"""The Kafka helpers of the tests wait out a topic whose leadership has not settled yet."""

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from streaming.tests.conftest import _deadline, watermarks


class SettlingClient:
    """Answers NOT_LEADER_FOR_PARTITION a few times, as a broker does for a topic just made."""

    def __init__(self, failures, code=KafkaError.NOT_LEADER_FOR_PARTITION):
        self.failures = failures
        self.code = code
        self.calls = 0

    def get_watermark_offsets(self, partition, timeout):
        self.calls += 1
        if self.calls <= self.failures:
            raise KafkaException(KafkaError(self.code))
        return (0, 7)


def test_watermarks_retry_while_the_partition_has_no_leader():
    client = SettlingClient(failures=3)
    assert watermarks(client, TopicPartition("t", 0), _deadline()) == (0, 7)
    assert client.calls == 4


def test_watermarks_raise_an_error_that_waiting_does_not_fix():
    client = SettlingClient(failures=1, code=KafkaError.TOPIC_AUTHORIZATION_FAILED)
    with pytest.raises(KafkaException):
        watermarks(client, TopicPartition("t", 0), _deadline())
    assert client.calls == 1
