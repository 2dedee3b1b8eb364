"""Background work: the queue (sole writer of job rows), tasks, runner, scheduler, events."""
