"""Team runs: members work on the task (one after another, or all at once), the lead decides."""
