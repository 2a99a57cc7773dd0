"""Where steps and workloads run: local processes (optionally in a private mount namespace), OCI runtimes."""
