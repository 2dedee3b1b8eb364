"""Images: which files are photos (`formats`), what they say about themselves (`metadata`), how
their thumbnails and previews are made (`engine`), and the content hash that keys the derivative
cache (`fingerprint`).

Self-contained: no database, no web code. Heavy decoders (libvips, libheif, LibRaw) are imported
only where they are used, so importing `contactsheet.imaging.formats` stays cheap.
"""
