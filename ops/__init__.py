"""Scripts that set up and run the helpdesk on one machine (make run, make test, benchmarks)."""
