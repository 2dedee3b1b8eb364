"""Background work: the queue (sole writer of job, item and task rows), tasks, scheduler, events."""
