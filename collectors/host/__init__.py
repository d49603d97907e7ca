"""Linux host collectors: this machine (`- host: {}`) or a directory tree (`root:`).

They only read files, never run commands: the same code audits the live host, a
mounted disk image or a container's filesystem. Path resolution under `root`,
reading and error translation live in `files`; systemd enablement in `systemd`;
the shared collect loop in `collector`. Each area module holds one `Collector`
subclass yielding one fact per host.
"""
