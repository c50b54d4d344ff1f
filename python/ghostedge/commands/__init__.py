"""One module per `ghostedge` subcommand (see ``ghostedge.cli``)."""
