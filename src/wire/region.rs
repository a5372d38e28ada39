//! Regions (reference §5.8): where PTS can generate load.

use indexmap::IndexMap;

use super::object::wire_object;
use super::params::wire_request;

wire_request! {
    /// Lists the regions PTS supports.
    pub struct GetAllRegions in Query -> GetAllRegionsOutput {}
}

wire_object! {
    /// `GetAllRegions`'s answer.
    pub struct GetAllRegionsOutput {
        /// Region id → display name.
        all_regions: Option<IndexMap<String, String>> = "AllRegions",
    }
}
