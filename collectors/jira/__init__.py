"""Jira Cloud and Data Center: ticket records (changes, incidents, access reviews, vulnerabilities)."""
