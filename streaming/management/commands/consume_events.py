"""Run the event handlers as a Kafka consumer group until SIGTERM or SIGINT.

The groups a deployment runs are named in the README ("Consumer groups"): one per app with
handlers, each subscribed to the topics of its own handlers only.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from streaming.consumer import DeadLetterFailed, EventConsumer
from streaming.events import TOPICS, handled_topics, resolve_topics
from streaming.management.commands._heartbeat import add_heartbeat_argument, with_heartbeat
from streaming.management.commands._signals import stop_on_signals


class Command(BaseCommand):
    help = "Consume domain events from Kafka and run the registered handlers (one consumer group)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--group",
            required=True,
            help="consumer group name, e.g. graph-sync (Kafka's group id gets KAFKA_TOPIC_PREFIX in front)",
        )
        parser.add_argument(
            "--topics",
            nargs="+",
            default=None,
            help=f"families ({', '.join(TOPICS)}) or topic names; "
            "default: the topics of the events the group's handlers are registered for",
        )
        parser.add_argument(
            "--handlers",
            nargs="+",
            default=None,
            metavar="MODULE",
            help="run only the handlers defined in these modules or packages (e.g. graph); default: all",
        )
        parser.add_argument(
            "--max-attempts",
            type=int,
            default=settings.EVENT_HANDLER_MAX_ATTEMPTS,
            help="tries before a failing event goes to <topic>.dlq",
        )
        parser.add_argument(
            "--backoff",
            type=float,
            default=settings.EVENT_HANDLER_RETRY_BACKOFF,
            help="first retry delay in seconds; doubles on each retry",
        )
        parser.add_argument(
            "--instance-id",
            default=None,
            help="static group membership (Kafka's group.instance.id): a stable id per process, such as "
            "the pod name, so a restarted process takes its partitions back at once. Unique per live "
            "process of the group; default: a dynamic member",
        )
        parser.add_argument("--batch-size", type=int, default=100)
        parser.add_argument("--max-messages", type=int, default=None, help="exit after this many events")
        parser.add_argument("--idle-exit", type=float, default=None, help="exit after this many idle seconds")
        add_heartbeat_argument(parser)

    def handle(self, *args, **options):
        if not settings.KAFKA_BOOTSTRAP_SERVERS:
            raise CommandError("KAFKA_BOOTSTRAP_SERVERS is not set: the handlers already run in-process after commit")
        if options["max_attempts"] < 1:
            raise CommandError("--max-attempts must be at least 1")
        group = options["group"]
        topics = resolve_topics(options["topics"]) if options["topics"] else handled_topics(options["handlers"])
        if not topics:
            which = ", ".join(options["handlers"] or []) or "any app"
            raise CommandError(f"no event handler is registered in {which}: this group would have nothing to do")
        consumer = EventConsumer(
            group,
            topics,
            modules=options["handlers"],
            instance_id=options["instance_id"],
            max_attempts=options["max_attempts"],
            backoff=options["backoff"],
            batch_size=options["batch_size"],
        )
        try:
            stats = consumer.run(
                with_heartbeat(stop_on_signals(), options["heartbeat_file"]),
                max_messages=options["max_messages"],
                idle_seconds=options["idle_exit"],
            )
        except DeadLetterFailed as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"consumer {group}: {stats}")
