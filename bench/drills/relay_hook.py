"""`manage.py relay_outbox` with one pause put in: after the first batch that Kafka confirmed, and
before that batch is marked sent, it writes the batch's event ids to DRILL_HOOK_FILE and waits,
so that the drill can kill -9 it exactly between publish and mark.

    python -m bench.drills.relay_hook        (environment as for manage.py)
"""

import json
import os
import time

import django


def main():
    django.setup()
    from django.core.management import call_command

    from streaming import relay

    publish = relay.Relay.publish

    def publish_then_wait(self, rows):
        confirmed, refused = publish(self, rows)
        if confirmed:
            path = os.environ["DRILL_HOOK_FILE"]
            with open(path + ".tmp", "w") as out:
                json.dump([str(pk) for pk in confirmed], out)
            os.replace(path + ".tmp", path)
            time.sleep(600)  # killed here; never marks them
        return confirmed, refused

    relay.Relay.publish = publish_then_wait
    call_command("relay_outbox")


if __name__ == "__main__":
    main()
