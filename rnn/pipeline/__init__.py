"""The pipeline's plumbing: which code a command runs, the sweep grid, a job's memory and process control,
what the workflow removes once it has succeeded."""
