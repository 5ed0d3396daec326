"""Statistics for the city: share handled online, time to decision, queues."""
