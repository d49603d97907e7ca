"""Okta (Workforce Identity) collectors."""
