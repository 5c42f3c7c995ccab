"""What every app's tests share: factories, fixtures, and a protocol-speaking socket client.

Loaded by the root conftest.py as a pytest plugin, so a test module imports helpers from here and
never from another test module.
"""
