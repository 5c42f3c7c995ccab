"""Signals of accounts for the layers above it, which accounts may not import.

`profile_changed` is sent after the commit of a profile change (the API's PATCH, the admin, a
new or removed picture) with `user_id`, `changed` (the names of the fields that changed) and
`dropped_avatar` (the picture version no longer used, or ""). chats tells the person's open
conversations (a live hint to fetch the profile again); files removes a dropped picture's bytes.
"""

from django.dispatch import Signal

profile_changed = Signal()
