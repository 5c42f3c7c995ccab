"""Fault drills: `python -m bench.drills` (see __main__)."""
