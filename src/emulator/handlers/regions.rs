//! Regions (reference §5.8): the regions PTS generates load from, with their console names.

use indexmap::IndexMap;
use serde_json::Value;

use super::{ApiError, Shared, ok};
use crate::wire::{Action, GetAllRegions, GetAllRegionsOutput, Params};

/// A fixed list: the local backend generates load from this machine whatever the region.
const REGIONS: &[(&str, &str)] = &[
    ("cn-hangzhou", "华东1（杭州）"),
    ("cn-shanghai", "华东2（上海）"),
    ("cn-qingdao", "华北1（青岛）"),
    ("cn-beijing", "华北2（北京）"),
    ("cn-zhangjiakou", "华北3（张家口）"),
    ("cn-shenzhen", "华南1（深圳）"),
    ("cn-hongkong", "中国香港"),
    ("ap-southeast-1", "新加坡"),
];

pub(super) fn all(_: &Shared, params: &Params) -> Result<Value, ApiError> {
    GetAllRegions::from_params(params)?;
    let regions: IndexMap<String, String> = REGIONS
        .iter()
        .map(|(id, name)| ((*id).to_owned(), (*name).to_owned()))
        .collect();
    ok(&GetAllRegionsOutput {
        all_regions: Some(regions),
        ..GetAllRegionsOutput::default()
    })
}
