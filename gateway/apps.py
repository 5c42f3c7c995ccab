from django.apps import AppConfig


class GatewayConfig(AppConfig):
    name = "gateway"
    verbose_name = "real-time gateway"

    def ready(self):
        from django.conf import settings

        if settings.FANOUT_REDIS_CLUSTER_URL:
            from chatsite import health
            from gateway.fanout.lines import ping_cluster

            # Critical, as Redis is: without the fan-out, sockets cannot join their conversations.
            health.register_probe("redis_cluster", ping_cluster, critical=True)
