"""AWS collectors: one account per target, the configured regions, read-only calls only.

Provider plumbing (session, clients, caller identity, paging, error translation) lives
in `session` and `errors`; each service module holds one `Collector` subclass. The
permissions they need are published in `policies/aws-readonly-policy.json`.
"""
