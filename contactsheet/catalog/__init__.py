"""The catalog: projects, photos, tags, culling. The domain rules and their queries."""
