"""The control API: runs, reports, alerts, faults and samples over HTTP (`soak serve`)."""
