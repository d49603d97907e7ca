"""The embedded demo: the fakes it starts and the history it seeds."""
