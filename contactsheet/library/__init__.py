"""The photo library on disk: paths, safe names, manifests, atomic writes."""
