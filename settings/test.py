"""The test suite. Services come from the environment that `make test` exports."""

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, tests only
MESSAGE_RATE_LIMIT = env("MESSAGE_RATE_LIMIT", default="1000/1s")  # noqa: F405
# Many tests sign up and in from one address; the throttle tests set their own limits.
LOGIN_RATE_LIMIT_PER_ACCOUNT = env("LOGIN_RATE_LIMIT_PER_ACCOUNT", default="1000/1s")  # noqa: F405
LOGIN_RATE_LIMIT_PER_ADDRESS = env("LOGIN_RATE_LIMIT_PER_ADDRESS", default="1000/1s")  # noqa: F405
REGISTER_RATE_LIMIT_PER_ADDRESS = env("REGISTER_RATE_LIMIT_PER_ADDRESS", default="1000/1s")  # noqa: F405
# Several suites may share one PostgreSQL server (parallel work, CI beside a dev run): each names its own.
if env("TEST_DATABASE_NAME", default=""):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME")}  # noqa: F405
# The one deadline of every test that waits on a broker, a server or a child process (conftest.py's
# wait_until). Generous: a loaded machine with freshly formatted brokers is slow, and a passing test
# never waits it out, because the waits poll.
TEST_DEADLINE_SECONDS = env.float("TEST_DEADLINE_SECONDS", default=60.0)  # noqa: F405
PRESENCE_OFFLINE_GRACE = env.float("PRESENCE_OFFLINE_GRACE", default=0.3)  # noqa: F405 - tests wait for it
# The tests' push, token and SMS servers listen on 127.0.0.1; e-mail goes to a test's SMTP server
# or Django's outbox.
NOTIFY_PUSH_ALLOW_LOOPBACK = env.bool("NOTIFY_PUSH_ALLOW_LOOPBACK", default=True)  # noqa: F405
NOTIFY_PUSH_HOSTS = env.list("NOTIFY_PUSH_HOSTS", default=[*NOTIFY_PUSH_HOSTS, "127.0.0.1", "localhost"])  # noqa: F405
NOTIFY_RETRY_BACKOFF = env.float("NOTIFY_RETRY_BACKOFF", default=0.05)  # noqa: F405
# One small Spark for the whole run: two cores, few shuffle partitions (the test data is tiny).
SPARK_MASTER = env("SPARK_MASTER", default="local[2]")  # noqa: F405
SPARK_SHUFFLE_PARTITIONS = env.int("SPARK_SHUFFLE_PARTITIONS", default=2)  # noqa: F405
# Messages in other apps' tests carry URLs that must not be fetched from the internet; the link
# preview tests turn previews on, with their own page server on loopback allowed just for them.
LINK_PREVIEWS = env.bool("LINK_PREVIEWS", default=False)  # noqa: F405
# The local Redis Cluster (`svc env`), for the tests that serve the fan-out on it; the suite's own
# fan-out stays on REDIS_URL.
REDIS_CLUSTER_URL = env("REDIS_CLUSTER_URL", default="")  # noqa: F405
