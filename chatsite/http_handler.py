"""Django's HTTP side under ASGI, served the way a threaded WSGI server serves it.

Django's own ASGIHandler gives every request a thread of its own (a ThreadSensitiveContext, whose
executor is made and joined per request) and crosses between the event loop and that thread five
times: the request_started signal, the middleware chain, back to the loop to resolve the URL, the
view, and the response's close. Every view here is sync, so those crossings buy nothing.

Here a request crosses once. Its body is read on the loop; then one call to a thread of a fixed
pool sends request_started, runs the whole middleware chain and the view (loaded as sync, so
Django adapts nothing), and, for a response held in memory, closes it (request_finished, which
hands the thread's database connection back to the pool). The loop then writes the response.
In process, an authenticated GET of /api/v1/me fell from 7.5 to 3.7 ms of CPU and /healthz from
2.0 to 0.6 ms; bench.http_cost measures a server worker's CPU per request beside an older tree.

All of a request's sync work runs in one thread, as Django's thread-sensitive mode promises. A
streaming response (a file download, a static file) is served as Django serves it, in a context
of its own. A sync view cannot be cancelled, so a client that goes away is noticed when the
response is written, as under WSGI.
"""

from concurrent.futures import ThreadPoolExecutor

import django
from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.db import close_old_connections
from django.http import FileResponse
from django.urls import set_script_prefix


class ThreadedHTTPHandler(ASGIHandler):
    def __init__(self):
        BaseHandler.__init__(self)  # not ASGIHandler's: that loads the middleware as async
        self.load_middleware(is_async=False)
        self.threads = ThreadPoolExecutor(settings.HTTP_THREADS, thread_name_prefix="http")
        self._respond_in_thread = sync_to_async(self._respond, thread_sensitive=False, executor=self.threads)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django serves HTTP here, not {scope['type']}")
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            response = await self._respond_in_thread(scope, body_file)
            if response.streaming:
                async with ThreadSensitiveContext():
                    await self.send_response(response, send)
                    await sync_to_async(response.close)()
            else:
                await self.send_response(response, send)
        finally:
            body_file.close()

    def _respond(self, scope, body_file):
        """The sync part of a request, in one thread: its response, closed unless it streams."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
        if response.streaming:
            # Its close runs in another thread: this one's database connection goes back now.
            close_old_connections()
        else:
            response.close()
        return response


def http_application():
    """Django set up, and its HTTP handler (what get_asgi_application gives, served as above)."""
    django.setup(set_prefix=False)
    return ThreadedHTTPHandler()
