"""Client galleries at `/shared/<key>`, the public URLs of their photos, and downloads
(docs/sharing.md)."""
