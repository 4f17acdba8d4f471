"""The repair desk's day queues (issue 11 §2)."""
