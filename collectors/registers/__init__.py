"""Collectors for registers the organisation keeps as files in its ISMS repository."""
