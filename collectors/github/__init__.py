"""GitHub (github.com or Enterprise Server) over its REST API: read-only, GET only."""
