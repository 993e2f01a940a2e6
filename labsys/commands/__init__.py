"""CLI commands, one module per feature; `labsys.cli` assembles them."""
