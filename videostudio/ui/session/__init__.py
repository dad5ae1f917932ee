"""The view-models: the backend, the connection, what is done to clips."""
