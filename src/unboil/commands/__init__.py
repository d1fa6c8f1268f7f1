"""One module per CLI verb. Each exposes ``add_parser(subparsers)`` which registers the verb and
sets ``func`` to a callable ``run(args) -> int`` (the exit status)."""
