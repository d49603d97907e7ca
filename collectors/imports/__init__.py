"""Importers: other tools' result files read as evidence (provider `import`).

Each importer is a collector: the runner stores what it yields in a normal bundle,
and rules in mappings/rules/import.yaml judge it. Every fact's Source records the
tool, its version and the sha256 of the file, so imported evidence is never
mistaken for evidence annexa collected itself.
"""
