"""Background work: the Celery app, its generic tasks, and the worker/beat/tasks runners."""
