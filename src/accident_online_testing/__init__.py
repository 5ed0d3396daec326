"""What the tests and the benchmarks both need to run the real service.

Throwaway databases (databases.py) and service processes on free loopback ports
(processes.py). Nothing here is part of the service; it imports neither pytest nor the
service's own modules, so the benchmarks (bench/) run without the test suite.
"""
