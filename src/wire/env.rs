//! JMeter environments (reference §5.7): dependency JARs and properties shared by JMeter
//! scenes.

use super::Empty;
use super::jmeter::{OssFile, Property};
use super::object::wire_object;
use super::params::{json_param, wire_request};

wire_object! {
    /// An environment: one type for what `SaveEnv` takes and what `ListEnvs` returns (which
    /// adds versions, times, usage and the scenes using it).
    pub struct Env {
        /// Absent on create; set to update that environment.
        env_id: Option<String> = "EnvId",
        /// Required.
        env_name: Option<String> = "EnvName",
        /// Version.
        env_version: Option<String> = "EnvVersion",
        /// JMeter plug-in set.
        jmeter_plugin_label: Option<String> = "JmeterPluginLabel",
        /// Files on OSS (cn-shanghai). Required by `SaveEnv`.
        files: Vec<OssFile> = "Files",
        /// JMeter properties.
        properties: Vec<Property> = "Properties",
        /// Epoch milliseconds.
        create_time: Option<i64> = "CreateTime",
        /// Epoch milliseconds.
        modified_time: Option<i64> = "ModifiedTime",
        /// Bytes used.
        used_capacity: Option<i64> = "UsedCapacity",
        /// Scenes using it.
        related_scenes: Vec<String> = "RelatedScenes",
        /// Scenes running with it.
        running_scenes: Vec<String> = "RunningScenes",
    }
}

json_param!(Env);

wire_request! {
    /// Creates (no `EnvId`) or updates an environment.
    pub struct SaveEnv in Query -> SaveEnvOutput {
        /// The environment, sent as JSON text.
        env: Env = "Env",
    }
}

wire_object! {
    /// `SaveEnv`'s answer.
    pub struct SaveEnvOutput {
        /// The environment's id.
        env_id: Option<String> = "EnvId",
    }
}

wire_request! {
    /// Pages through environments.
    pub struct ListEnvs in Query -> ListEnvsOutput {
        /// One environment.
        env_id: Option<String> = "EnvId",
        /// Matches names.
        env_name: Option<String> = "EnvName",
        /// From 1.
        page_number: i64 = "PageNumber",
        /// 5..200.
        page_size: i64 = "PageSize",
    }
}

wire_object! {
    /// `ListEnvs`'s answer.
    pub struct ListEnvsOutput {
        /// This page.
        page_number: Option<i64> = "PageNumber",
        /// Page size.
        page_size: Option<i64> = "PageSize",
        /// All matches.
        total_count: Option<i64> = "TotalCount",
        /// The environments.
        envs: Vec<Env> = "Envs",
    }
}

wire_request! {
    /// Deletes an environment.
    pub struct RemoveEnv in Query -> Empty {
        /// The environment.
        env_id: String = "EnvId",
    }
}
