"""Keeps Django's middleware chain in one thread under ASGI.

Django runs a middleware in the mode of the handler inside it when it can. Below the innermost
sync-only middleware its own middleware (MiddlewareMixin) run async, and each of their
process_request and process_response hooks then goes to a thread and back: about fourteen
crossings of a request between the event loop and a thread, each a wake-up of both. This
middleware is sync-only and last in MIDDLEWARE, so the whole chain runs in the request's thread,
and a request crosses three times: into the chain, back to the loop for the URL resolver, and
into the sync view (bench.rest_send measured 17 to 27% more REST sends a second).
"""


class SyncChainMiddleware:
    sync_capable = True
    async_capable = False

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)
