//! The PTS-compatible local backend: the PTS OpenAPI over HTTP, state on disk.
