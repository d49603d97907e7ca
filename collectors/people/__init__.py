"""Collectors for people records exported by HR and learning systems."""
