//! The local load engine: runs wire scenes for real against HTTP targets.
