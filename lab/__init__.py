"""The composition root: the `dcemu` command line, demo scenario, servers wiring and reports.
It imports the other packages; nothing imports it."""
