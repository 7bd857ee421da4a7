"""Which logs, and how they are read: the shared filter, keyset paging, access, output shape."""
