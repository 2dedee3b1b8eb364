"""Workers: threads that claim jobs from the queue and run their handlers; what a handler gets."""
