//! Sources, spans and diagnostics.
