"""AWS collectors: one account, a list of accounts or a whole Organization per target; read-only calls only.

Provider plumbing lives here once: `session` (clients, identity, paging), `accounts`
(entering accounts by assumed role, regions), `fanout` (the bounded worker pool over
accounts x regions), `spec` (the declarative Listing/Detail/Setting layer most collectors
are written in), `permissions` and `errors`; each service module holds one `Collector`
subclass. The permissions they need are published in `policies/aws-readonly-policy.json`.
"""
