"""Collectors for documents people maintain: policies and procedures with YAML front matter."""
