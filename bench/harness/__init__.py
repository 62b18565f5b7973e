"""What the benchmark scripts share: servers, wrk, CPU accounting, options and tables."""
