"""Kept while other modules move to chatsite.api_errors.error_responses."""

from chatsite.api_errors import error_responses

__all__ = ["error_responses"]
