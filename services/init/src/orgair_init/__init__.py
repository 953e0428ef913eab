"""One-shot start-up job: preflight checks, migrations, reference-data seed."""
