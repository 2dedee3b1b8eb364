"""Getting files in: staging, conflict analysis, placement, and the sources (upload, tus, import,
discovery) that all end in the same rules."""
